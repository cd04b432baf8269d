"""Pages for the data provider (經濟部商業發展署): review the agencies' 附件2 and countersign or return them.

``/countersign`` lists every agency's 附件2 that waits for the provider's signature, oldest first;
the review page shows the agreement's pages and its signature status.  「會簽」 adds the provider's
signature exactly as ``POST /api/v1/records/<id>/countersign`` does (a new version); 「退回」 records
the reason — an audit entry ``record.return`` that the agency sees on its record's page.  A
returned agreement leaves the list; the agency files a corrected one as a new record.
"""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...archive.signatures import countersign, is_countersigned
from ...catalog import NewAuditEvent, Record, RecordFilter
from ...errors import InputError
from ...filing.turns import RETURN, returned_of
from ..access import visible_record
from ..auth import reader_of, source_ip
from ..context import catalog, components
from . import bp, signed_in

COUNTERSIGNED = "annex2-agreement"
LISTED = 500  # the newest agreements looked at for the list


def returned_reason(record_id: str) -> str:
    """Why the record was returned ('' if it was not): by the provider, or by a signer of its order."""
    returned = returned_of(catalog(), record_id)
    return returned.reason if returned is not None else ""


def awaiting(record: Record) -> bool:
    latest = record.versions[-1] if record.versions else None
    if latest is None or record.status != "active":
        return False
    return not is_countersigned(latest) and not returned_reason(record.id)


@bp.get("/countersign")
def countersign_list() -> str:
    actor = signed_in()
    found = components().reading.search(reader_of(actor, {"via": "web", "list": "countersign"}),
                                        RecordFilter(form_id=COUNTERSIGNED, limit=LISTED), asked={})
    waiting = sorted((r for r in found if awaiting(r)), key=lambda r: r.created_at)
    return render_template("countersign_list.html", records=waiting)


@bp.get("/countersign/<record_id>")
def countersign_review(record_id: str) -> str:
    actor = signed_in()
    record = components().reading.record(reader_of(actor, {"via": "web", "purpose": "會簽審閱"}), record_id)
    return render_template("countersign_review.html", review=_review(record))


def _review(record: Record) -> dict[str, object]:
    return {"record": record, "waiting": awaiting(record), "returned": returned_reason(record.id)}


@bp.post("/countersign/<record_id>")
def countersign_decide(record_id: str) -> Response | str:
    actor = signed_in()
    record = visible_record(actor, record_id)
    g.review = _review(record)
    g.error_page = "countersign_review.html"  # a refusal is shown on the review page (web/errors.py)
    decision = request.form.get("decision", "")
    if decision == "countersign":
        if request.form.get("confirm") != "yes":
            raise InputError("請勾選「已審閱本約定書內容，同意會簽」後再會簽 (confirm the review first)")
        service = components()
        countersign(service.archive, service.countersigner, record.id, actor,
                    provider_name=service.settings.provider_name, source_ip=source_ip())
        return redirect(url_for("ui.record", record_id=record.id), code=303)
    if decision == "return":
        reason = request.form.get("reason", "").strip()[:1000]
        if not reason:
            raise InputError("請填寫退回理由 (a return needs its reason)")
        if not awaiting(record):
            raise InputError("此約定書已會簽或已退回 (already countersigned or returned)")
        catalog().end_signing(record.id, NewAuditEvent(actor=actor.id, agency=record.agency_code, action=RETURN,
                                                       record_id=record.id, source_ip=source_ip(),
                                                       detail={"reason": reason, "block": ""}))
        return redirect(url_for("ui.countersign_list"), code=303)
    raise InputError("請選擇會簽或退回 (choose countersign or return)")
