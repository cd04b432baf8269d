"""The provider's oversight as the web layer runs it, for the API and the pages alike: an audit's
checklist (the agency's answers, the team's results and findings, the signed final 附件4, replies
and closing), a connection stopped by the provider, incident reports acknowledged.  (An incident
report's sending to the provider is an after-effect of its filing: ``filing/after.py``.)"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Response
from werkzeug.datastructures import FileStorage

from ..access import Actor
from ..catalog import NewAuditEvent
from ..connections import audit_work, evidence_files, incidents, termination
from ..connections.parties import tell_of_termination
from ..connections.timeline import connection, today_in_taipei
from ..connections.values import Incident, Inspection, InspectionFinding, InspectionItem
from ..errors import InputError, NotFound
from .auth import source_ip
from .context import catalog, components


def today() -> date:
    return today_in_taipei(components().clock.now())


def inspection_of(actor: Actor, inspection_id: str) -> Inspection:
    return audit_work.get_inspection(catalog(), inspection_id, agency=actor.scope)


def _int(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"{field} must be a whole number", details={"field": field}) from None


def answer(actor: Actor, inspection: Inspection, item: Any, body: dict[str, Any]) -> InspectionItem:
    evidence = body.get("evidence") or []
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
        raise InputError("evidence is a list of record ids", details={"field": "evidence"})
    return audit_work.answer_item(catalog(), actor, inspection, item=_int(item, "item"),
                                  self_result=str(body.get("self_result", "")), note=str(body.get("note", "")),
                                  evidence=evidence, today=today(), now=components().clock.now(),
                                  audit=catalog().audit)


def send_answers(actor: Actor, inspection: Inspection, body: dict[str, Any]) -> Inspection:
    return audit_work.send_answers(catalog(), actor, inspection, filled_by=str(body.get("filled_by", "")),
                                   filled_title=str(body.get("filled_title", "")), today=today(),
                                   now=components().clock.now(), audit=catalog().audit)


def judge(actor: Actor, inspection: Inspection, item: Any, body: dict[str, Any]) -> InspectionItem:
    return audit_work.judge_item(catalog(), actor, inspection, item=_int(item, "item"),
                                 result=str(body.get("result", "")), note=str(body.get("note", "")), today=today(),
                                 now=components().clock.now(), audit=catalog().audit)


def add_finding(actor: Actor, inspection: Inspection, body: dict[str, Any]) -> InspectionFinding:
    return audit_work.add_finding(catalog(), actor, inspection, item=str(body.get("item", "") or ""),
                                  issue=str(body.get("issue", "")), action=str(body.get("action", "")),
                                  due_on=str(body.get("due", "")), today=today(), now=components().clock.now(),
                                  audit=catalog().audit)


def file_signed_by_provider(actor: Actor, form_id: str, data: dict[str, Any], *, reason: str) -> str:
    """A record the data provider files for an agency (the team's 附件4, the provider's stop of a
    connection): validated and checked against its connection, signed in the provider's block with
    the provider's key, archived under the agency's 機關代碼.  Its record id."""
    provider = components().settings.provider_name
    return components().filing.file(actor, form_id, data, source_ip=source_ip(), by_provider=True,
                                    reason=f"{provider}{reason}").record_id


def finish(actor: Actor, inspection: Inspection) -> Inspection:
    """The final 附件4, signed by the team (the provider's key), archived; the audit then names it."""
    service = components()
    found = connection(catalog(), inspection.connection_id) if inspection.connection_id else None
    related = found.current_application if found is not None and found.terminated_on is None else None
    # The unit's 全銜 as its connection's forms spell it (they must agree), else its profile's.
    parties = [found.user_unit, found.applicant] if found is not None else []
    unit_name = next((p["name"] for p in parties if p.get("code") == inspection.agency and p.get("name")), "")
    if not unit_name:
        profile = catalog().agency_profile(inspection.agency)
        unit_name = (profile.data.get("name", "") if profile else "") or inspection.agency

    def file_checklist(data: dict[str, Any]) -> str:
        return file_signed_by_provider(actor, "annex4-audit-checklist", data, reason="稽核小組查核")

    return audit_work.finish(catalog(), actor, inspection, unit_name=unit_name, related_record=related,
                             file_checklist=file_checklist, today=today(), now=service.clock.now(),
                             audit=catalog().audit)


def stop_connection(actor: Actor, connection_id: str, body: dict[str, Any]) -> str:
    """The provider ends a connection by its letter: the 終止 附件1 filed and signed; its record id."""
    found = connection(catalog(), connection_id)
    if found is None:
        raise NotFound(f"no connection {connection_id}")
    current = catalog().get_record(found.current_application)
    data = termination.stop_input(
        actor, found, dict(current.input or {}) if current else {}, letter=str(body.get("letter", "")),
        letter_date=str(body.get("letter_date", "")), effective_on=str(body.get("effective_on", "")),
        reason=str(body.get("reason", "")), today=today(),
        backdate=str(body.get("backdate", "")).lower() in ("1", "true", "on", "yes"))
    record_id = file_signed_by_provider(actor, current.form_id if current else "annex1-interface", data,
                                        reason="終止連線")
    catalog().audit(NewAuditEvent(actor=actor.id, agency=found.applicant.get("code", ""), action="connection.stop",
                                  record_id=record_id, source_ip=source_ip(),
                                  detail={"connection": connection_id,
                                          "effective_on": data["termination"]["effective_on"],
                                          "letter": data["request_letter"]["number"]}))
    # the agencies hear of it at once (their pages show it too)
    tell_of_termination(found, effective_on=data["termination"]["effective_on"],
                        letter=data["request_letter"]["number"], by_provider=True,
                        provider_name=components().settings.provider_name, notify=components().notifier)
    return record_id


def upload(actor: Actor, inspection: Inspection, item: Any, upload: FileStorage | None) -> InspectionItem:
    """An uploaded file, archived under retention and cited in the item's evidence."""
    field = f"item-{item}-file"
    if upload is None or not upload.filename:
        raise InputError("請選擇要上傳的檔案 (send the file as multipart field 'file')", details={"field": field})
    data = upload.stream.read(evidence_files.MAX_FILE_BYTES + 1)
    service = components()
    return evidence_files.upload(catalog(), service.require_archive()[0], actor, inspection, item=_int(item, "item"),
                                 filename=upload.filename, content_type=upload.mimetype or "", data=data,
                                 lock_mode=service.settings.lock_mode,
                                 retention_years=service.settings.retention_years_logs, today=today(),
                                 now=service.clock.now(), audit=catalog().audit)


def evidence_file(actor: Actor, inspection: Inspection, sha256: str) -> Response:
    data, name, content_type = evidence_files.read(catalog(), components().require_archive()[0], actor, inspection,
                                                   sha256, source_ip=source_ip(), audit=catalog().audit)
    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff"})


def reply(actor: Actor, inspection: Inspection, number: Any, body: dict[str, Any]) -> InspectionFinding:
    return audit_work.reply_finding(catalog(), actor, inspection, number=_int(number, "number"),
                                    reply=str(body.get("reply", "")), now=components().clock.now(),
                                    audit=catalog().audit)


def close(actor: Actor, inspection: Inspection, number: Any) -> InspectionFinding:
    return audit_work.close_finding(catalog(), actor, inspection, number=_int(number, "number"),
                                    now=components().clock.now(), audit=catalog().audit)


# --- incidents -------------------------------------------------------------------------------------

def acknowledge(actor: Actor, record_id: str) -> Incident:
    return incidents.acknowledge(catalog(), actor, record_id, now=components().clock.now())
