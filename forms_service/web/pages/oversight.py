"""Pages of the provider's oversight: one audit's checklist — the agency answers its column with
evidence before the deadline, the team records results and findings and files the signed 附件4,
the agency replies to findings and the team closes them — and the incident reports (規範 六(六)4),
which the provider marks read."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...access import Role
from ...connections import audit_work
from ...connections.evidence_files import MAX_REQUEST_BYTES
from ...connections.inspections import answers_due_on, answers_late
from ...connections.timeline import today_in_taipei
from ...connections.values import Inspection
from ...forms.annex4_audit_checklist import RESULTS, STANDARD_ITEMS
from ...forms.incident_report import LEVELS
from ..auth import source_ip
from ..context import catalog, components
from ..oversight_api import evidence_download, oversight, uploaded
from . import bp, signed_in


def _page(inspection_id: str, *, inspection: Inspection | None = None, **extra: Any) -> dict[str, Any]:
    actor = signed_in()
    inspection = inspection or oversight().inspection_of(actor, inspection_id)
    lines, from_requirements = audit_work.checklist(catalog(), inspection)
    today = today_in_taipei(components().clock.now())
    due = answers_due_on(inspection)
    agency_side = audit_work.is_audited_staff(actor, inspection)
    team_side = actor.role in (Role.PROVIDER, Role.ADMIN)
    return {"inspection": inspection, "lines": lines, "from_requirements": from_requirements, "today": today,
            "answers_due_on": due, "results": RESULTS,
            # After the due date the answers are still taken (七(四)2 sets a date, not a bar), shown as late.
            "may_answer": agency_side and inspection.finished_at is None and not _judging(inspection, today),
            "answers_late": answers_late(inspection) or (today > due and inspection.answered_at is None),
            "may_judge": team_side and today >= inspection.audit_on and inspection.finished_at is None,
            "agency_side": agency_side, "team_side": team_side,
            "findings": catalog().inspection_findings(inspection_id=inspection.id),
            "values": extra.pop("values", None) or {}, **extra}


def _show(inspection_id: str, **extra: Any) -> str:
    return render_template("inspection.html", page=_page(inspection_id, **extra))


def _on_error(inspection_id: str) -> None:
    """Errors come back on this page, with what was typed (web/errors.py renders ``g.error_page``)."""
    # The page first: an unknown audit is the plain error page, not this one without its values.
    g.inspection_page = _page(inspection_id, values=dict(request.form))
    g.error_page = "inspection.html"


@bp.get("/inspections/<inspection_id>")
def inspection_page(inspection_id: str) -> str:
    found = oversight().read_inspection(signed_in(), inspection_id, source_ip=source_ip(), via="web")
    return _show(inspection_id, inspection=found, done=request.args.get("done", ""))


@bp.post("/inspections/<inspection_id>/answers")
def inspection_answers(inspection_id: str) -> Response:
    """The agency's column: every item with an answer is saved; ``send`` also sends the answers."""
    request.max_content_length = MAX_REQUEST_BYTES  # the items' files: larger than any form (8 MiB)
    actor = signed_in()
    _on_error(inspection_id)
    inspection = oversight().inspection_of(actor, inspection_id)
    for no in STANDARD_ITEMS:
        result = request.form.get(f"item-{no}-result", "")
        note = request.form.get(f"item-{no}-note", "")
        evidence = request.form.get(f"item-{no}-evidence", "")
        if result or note.strip() or evidence.strip():
            oversight().answer(actor, inspection, no, {"self_result": result, "note": note, "evidence": [evidence]})
        upload = request.files.get(f"item-{no}-file")
        if upload is not None and upload.filename:
            oversight().upload(actor, inspection, no, **uploaded(upload, field=f"item-{no}-file"))
    if request.form.get("action") == "send":
        oversight().send_answers(actor, inspection, dict(request.form))
        return redirect(url_for("ui.inspection_page", inspection_id=inspection_id, done="sent"), code=303)
    return redirect(url_for("ui.inspection_page", inspection_id=inspection_id, done="saved"), code=303)


@bp.post("/inspections/<inspection_id>/results")
def inspection_results(inspection_id: str) -> Response:
    """The team's column; ``finish`` also files the signed 附件4."""
    actor = signed_in()
    _on_error(inspection_id)
    inspection = oversight().inspection_of(actor, inspection_id)
    for no in STANDARD_ITEMS:
        result = request.form.get(f"item-{no}-verdict", "")
        if result:
            note = request.form.get(f"item-{no}-verdict-note", "")
            oversight().judge(actor, inspection, no, {"result": result, "note": note})
    if request.form.get("action") == "finish":
        oversight().finish(actor, oversight().inspection_of(actor, inspection_id), source_ip=source_ip())
        return redirect(url_for("ui.inspection_page", inspection_id=inspection_id, done="finished"), code=303)
    return redirect(url_for("ui.inspection_page", inspection_id=inspection_id, done="judged"), code=303)


@bp.post("/inspections/<inspection_id>/findings")
def inspection_finding(inspection_id: str) -> Response:
    actor = signed_in()
    _on_error(inspection_id)
    oversight().add_finding(actor, oversight().inspection_of(actor, inspection_id), {
        "item": request.form.get("finding-item", ""), "issue": request.form.get("finding-issue", ""),
        "action": request.form.get("finding-action", ""), "due": request.form.get("finding-due", "")})
    return redirect(url_for("ui.inspection_page", inspection_id=inspection_id, done="finding"), code=303)


@bp.post("/inspections/<inspection_id>/findings/<int:number>/reply")
def inspection_finding_reply(inspection_id: str, number: int) -> Response:
    actor = signed_in()
    _on_error(inspection_id)
    oversight().reply(actor, oversight().inspection_of(actor, inspection_id), number,
                {"reply": request.form.get(f"finding-{number}-reply", "")})
    return redirect(url_for("ui.inspection_page", inspection_id=inspection_id, done="replied"), code=303)


@bp.post("/inspections/<inspection_id>/findings/<int:number>/close")
def inspection_finding_close(inspection_id: str, number: int) -> Response:
    actor = signed_in()
    _on_error(inspection_id)
    oversight().close(actor, oversight().inspection_of(actor, inspection_id), number)
    return redirect(url_for("ui.inspection_page", inspection_id=inspection_id, done="closed"), code=303)


@bp.get("/inspections/<inspection_id>/files/<sha256>")
def inspection_file(inspection_id: str, sha256: str) -> Response:
    actor = signed_in()
    return evidence_download(actor, oversight().inspection_of(actor, inspection_id), sha256)


# --- incidents -------------------------------------------------------------------------------------

@bp.get("/incidents")
def incidents_page() -> str:
    actor = signed_in()
    return render_template("incidents.html", incidents=catalog().incidents(agency=actor.scope), levels=LEVELS)


@bp.post("/incidents/<record_id>/acknowledge")
def incident_acknowledge(record_id: str) -> Response:
    actor = signed_in()
    oversight().acknowledge(actor, record_id)
    return redirect(url_for("ui.incidents_page"), code=303)


def _judging(inspection: Inspection, today: date) -> bool:
    """The team is recording its results (from the audit day): the agency's column is closed."""
    return today >= inspection.audit_on
