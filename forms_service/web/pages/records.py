"""Pages for records clerks: search, a record with a preview of its pages, download.

The purpose and case number a clerk states with a search stay with the session and go into the
audit entry of every retrieval; with FORMS_REQUIRE_PURPOSE a record cannot be opened without one.
"""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ...access import Role
from ...archive import pick_version
from ...archive.report_zh import roc_datetime, signature_lines
from ...catalog import Record, RecordFilter, Version
from ...connections.timeline import connection_id_of, today_in_taipei
from ...errors import InputError, NotFound
from ...filing.turns import signing_state
from ...forms import all_forms
from ...forms.signatures import block, blocks_of
from ...taiwan import InvalidValue, normalize, roc_year, taipei_day_range
from ..access import attachment, document_file_name, page_preview, pdf_download, visible_record
from ..auth import reader_of, source_ip
from ..context import catalog, components
from . import bp, signed_in
from .sign import record_warnings

LATEST = 10  # records listed on the search page before any search


def _purpose() -> dict[str, str]:
    """The purpose and case number stated with the last search (kept in the session)."""
    return dict(session.get("purpose") or {})


def _purpose_missing() -> bool:
    return components().settings.require_purpose and not _purpose().get("purpose")


def _back_to_state_a_purpose() -> Response | None:
    """Opening a record needs the purpose FORMS_REQUIRE_PURPOSE asks for: back to the search first."""
    return redirect(url_for("ui.records", need_purpose=1)) if _purpose_missing() else None


@bp.get("/")
def home() -> Response:
    """Each role lands on its work: what is due for staff, 查核人員, the provider and admins; the
    archive for records clerks; his own queries' requests for a querier."""
    role = signed_in().role
    if role is Role.QUERIER:
        return redirect(url_for("ui.my_queries"))
    if role is Role.CLERK:
        return redirect(url_for("ui.records"))
    return redirect(url_for("ui.due"))


@bp.get("/records")
def records() -> str:
    actor = signed_in()
    args = request.args
    error = ""
    query = None
    if "purpose" in args or "case_no" in args:
        session["purpose"] = {k: args.get(k, "").strip()[:limit] for k, limit in (("purpose", 200), ("case_no", 100))
                              if args.get(k, "").strip()}
    if any(args.get(k) for k in ("form", "subject", "from", "to")) or args.get("all"):
        try:
            created_from, created_until = taipei_day_range(args.get("from"), args.get("to"), names=("起日", "迄日"))
        except InvalidValue as err:
            error = str(err)
        else:
            if _purpose_missing():
                error = "請填寫查詢目的 (state the purpose of this search)"
            else:
                query = RecordFilter(
                    agency=actor.scope, form_id=args.get("form") or None,
                    subject=normalize(args.get("subject") or "") or None,  # ２２０９９１３１ finds 22099131
                    created_from=created_from, created_until=created_until, limit=100,
                )
    latest = query is None and not error and not _purpose_missing()
    if latest:  # before any search: the newest records, so a new user sees what is there
        query = RecordFilter(agency=actor.scope, limit=LATEST)
    found = []
    if query:
        asked = {**dict(args), **({"latest": LATEST} if latest else {})}
        found = components().reading.search(reader_of(actor, _purpose()), query, asked=asked)
    return render_template("records.html", forms=all_forms(), records=found, searched=query is not None,
                           latest=latest, error=error, args=args, purpose=_purpose())


@bp.get("/records/<record_id>")
def record(record_id: str) -> Response | str:
    if (back := _back_to_state_a_purpose()) is not None:
        return back
    found = components().reading.record(reader_of(signed_in(), _purpose()), record_id)
    state = signing_state(catalog(), found)
    just_signed = block(found.form_id, request.args.get("signed", "")) if request.args.get("signed") else None
    upcoming = block(found.form_id, state.next) if state.next else None
    returned_by = block(found.form_id, state.returned.block) if state.returned and state.returned.block else None
    return render_template("record.html", record=found, purpose=_purpose(), state=state, just_signed=just_signed,
                           upcoming=upcoming, returned_by=returned_by, blocks_of=blocks_of,
                           warnings=record_warnings(found.id),
                           connection_id=connection_id_of(found))


@bp.get("/records/<record_id>/verification")
def verification(record_id: str) -> Response | str:
    """The newest (or ``?version=``) version's signatures checked now, in words people read."""
    if (back := _back_to_state_a_purpose()) is not None:
        return back
    reader = reader_of(signed_in(), {"via": "web", **_purpose()})
    number = request.args.get("version", "")
    service = components()
    found, version = service.reading.version(reader, record_id, int(number) if number.isdigit() else None)
    result = service.reading.verification(reader, found, version)
    report = result.as_dict()
    return render_template("verification.html", record=found, version=version, ok=result.ok,
                           lines=signature_lines(report), problems=bool(report["problems"]),
                           checked_at=roc_datetime(service.clock.now()))


@bp.post("/records/<record_id>/export")
def export_evidence(record_id: str) -> Response:
    """The record's evidence package (every version's PDF, its verification report and a signed
    manifest) as a ZIP named for what it holds; audited like a download."""
    if (back := _back_to_state_a_purpose()) is not None:
        return back
    actor = signed_in()
    found = visible_record(actor, record_id)
    export = components().exporter.export([found], actor, purpose={"via": "web", **_purpose()},
                                          source_ip=source_ip())
    name = document_file_name(found, found.versions[-1]).removesuffix(".pdf")
    return Response(export.data, mimetype="application/zip", headers={
        "Content-Disposition": attachment(f"證據-{name}.zip", f"evidence-{export.export_id}.zip"),
        "X-Manifest-SHA256": export.manifest_sha256, "Cache-Control": "private, no-store"})


EXPORTED_AT_MOST = 200  # a search's page of results, as one evidence package


@bp.post("/records/export")
def export_results() -> Response:
    """The evidence package of a search's results (each record the person may see), one ZIP."""
    if (back := _back_to_state_a_purpose()) is not None:
        return back
    actor = signed_in()
    chosen = list(dict.fromkeys(request.form.getlist("record")))[:EXPORTED_AT_MOST]
    if not chosen:
        raise InputError("請先查詢，再匯出查詢結果的證據", details={"field": "record"})
    found = [visible_record(actor, record_id) for record_id in chosen]
    export = components().exporter.export(found, actor, purpose={"via": "web", **_purpose()}, source_ip=source_ip())
    today = today_in_taipei(components().clock.now())
    name = f"證據-查詢結果-{len(found)}筆-{roc_year(today)}-{today.month:02d}-{today.day:02d}.zip"
    return Response(export.data, mimetype="application/zip", headers={
        "Content-Disposition": attachment(name, f"evidence-{export.export_id}.zip"),
        "X-Manifest-SHA256": export.manifest_sha256, "Cache-Control": "private, no-store"})


def _version(record_id: str, number: int) -> tuple[Record, Version]:
    found = visible_record(signed_in(), record_id)
    return found, pick_version(found, number)


@bp.get("/records/<record_id>/versions/<int:number>.pdf")
def download(record_id: str, number: int) -> Response:
    if (back := _back_to_state_a_purpose()) is not None:
        return back
    found, version = _version(record_id, number)
    return pdf_download(signed_in(), found, version, {"via": "web", **_purpose()})


@bp.get("/records/<record_id>/versions/<int:number>/pages/<int:page>.png")
def preview(record_id: str, number: int, page: int) -> Response:
    if (back := _back_to_state_a_purpose()) is not None:
        return back
    found, version = _version(record_id, number)
    if not 1 <= page <= max(version.pages, 1):
        raise NotFound(f"version {number} of {record_id} has no page {page}", details={"record_id": record_id})
    return page_preview(signed_in(), found, version, page, {"via": "web", **_purpose()})
