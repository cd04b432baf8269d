"""The JSON API of the provider's oversight (on the ``/api/v1`` blueprint): an audit's checklist
worked through by the agency and the team, its findings, and incident reports."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from ..access import Actor
from ..connections import audit_work
from ..connections.evidence_files import MAX_FILE_BYTES, MAX_REQUEST_BYTES
from ..connections.inspections import answers_due_on, answers_late
from ..connections.oversight import ProviderOversight
from ..connections.values import Incident, Inspection, InspectionFinding, InspectionItem
from ..errors import InputError
from ..notify.audit_notice import schedule_and_notify
from . import responses
from .api import bp
from .auth import require_actor, source_ip
from .body import json_object
from .context import catalog, components


def oversight() -> ProviderOversight:
    found: ProviderOversight = components().oversight
    return found


def _audit(actor: Actor, inspection_id: str) -> Inspection:
    return oversight().inspection_of(actor, inspection_id)


def uploaded(upload: FileStorage | None, *, field: str) -> dict[str, Any]:
    """A file sent in the multipart field ``file``, as the oversight's upload takes it."""
    if upload is None or not upload.filename:
        raise InputError("請選擇要上傳的檔案", details={"field": field})
    return {"filename": upload.filename, "content_type": upload.mimetype or "",
            "data": upload.stream.read(MAX_FILE_BYTES + 1)}


def evidence_download(actor: Actor, inspection: Inspection, sha256: str) -> Response:
    """An evidence file as a download, under the name it was uploaded with."""
    data, name, content_type = oversight().evidence_file(actor, inspection, sha256, source_ip=source_ip())
    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff"})


def _inspection(inspection: Inspection) -> dict[str, Any]:
    """An audit's answer's fields (``responses.InspectionAnswer`` and the models built on it)."""
    return {"id": inspection.id, "agency": inspection.agency, "audit_on": inspection.audit_on,
            "team": inspection.team, "connection_id": inspection.connection_id or None,
            "answers_due_on": answers_due_on(inspection), "answered_at": inspection.answered_at,
            "answers_late": answers_late(inspection), "filled_by": inspection.filled_by or None,
            "record_id": inspection.record_id or None, "finished_at": inspection.finished_at}


def inspection_json(inspection: Inspection, *, notified: list[str] | None = None) -> dict[str, Any]:
    return responses.InspectionAnswer(**_inspection(inspection), notified=notified).body()


def _item(item: InspectionItem) -> dict[str, Any]:
    return {"item": item.item, "self_result": item.self_result or None, "note": item.self_note,
            "evidence": list(item.evidence), "answered_at": item.answered_at, "result": item.result or None,
            "result_note": item.result_note, "judged_at": item.judged_at}


def _item_json(item: InspectionItem) -> dict[str, Any]:
    return responses.ChecklistItemAnswer(**_item(item)).body()


def _finding(finding: InspectionFinding) -> responses.FindingAnswer:
    return responses.FindingAnswer(number=finding.number, item=finding.item, issue=finding.issue,
                                   action=finding.action, due=finding.due_on, reply=finding.reply or None,
                                   replied_at=finding.replied_at, closed_at=finding.closed_at)


def _finding_json(finding: InspectionFinding) -> dict[str, Any]:
    return _finding(finding).body()


def _incident_json(incident: Incident) -> dict[str, Any]:
    return responses.IncidentAnswer(
        record_id=incident.record_id, agency=incident.agency, system=incident.system,
        related_record=incident.related_record or None, discovered_at=incident.discovered_at, level=incident.level,
        recorded_at=incident.recorded_at, reported_at=incident.reported_at,
        reported_how=incident.reported_how or None).body()


@bp.post("/inspections")
def post_inspection() -> ResponseReturnValue:
    """(provider) Schedule an audit of an agency (規範 七): ``{agency, audit_on, team, connection_id?}``;
    at least a month ahead; the agency's staff are notified."""
    actor = require_actor()
    inspection, notified = schedule_and_notify(catalog(), components().mailer, actor, json_object(),
                                             provider_name=components().settings.provider_name,
                                             clock=components().clock)
    return jsonify(inspection_json(inspection, notified=list(notified))), 201


@bp.get("/inspections")
def list_inspections() -> ResponseReturnValue:
    """Scheduled audits: the caller's agency's (provider, admin: every agency's)."""
    actor = require_actor()
    found = [inspection_json(i) for i in catalog().inspections(agency=actor.scope)]
    return jsonify(responses.InspectionList.model_validate({"inspections": found}).body())


@bp.get("/inspections/<inspection_id>")
def get_inspection(inspection_id: str) -> ResponseReturnValue:
    """One audit: its checklist prepared from the agency's 附件3 (both columns so far) and its findings."""
    inspection = oversight().read_inspection(require_actor(), inspection_id, source_ip=source_ip())
    lines, from_requirements = audit_work.checklist(catalog(), inspection)
    return jsonify(responses.InspectionDetail(
        **_inspection(inspection), prepared_from_requirements=from_requirements,
        items=[responses.ChecklistLineAnswer(**_item(line.work), text=line.text, source=line.source,
                                             basis=line.basis or None) for line in lines],
        findings=[_finding(f) for f in catalog().inspection_findings(inspection_id=inspection_id)]).body())


@bp.put("/inspections/<inspection_id>/items/<item>/answer")
def put_inspection_answer(inspection_id: str, item: str) -> ResponseReturnValue:
    """(the audited agency) ``{self_result: conform|nonconform|na, note, evidence: [record ids]}``."""
    actor = require_actor()
    saved = oversight().answer(actor, _audit(actor, inspection_id), item, json_object())
    return jsonify(_item_json(saved))


@bp.post("/inspections/<inspection_id>/items/<item>/files")
def post_inspection_file(inspection_id: str, item: str) -> ResponseReturnValue:
    """(the audited agency) A file as evidence (multipart field ``file``, at most 20 MiB): archived under
    retention until the audit day plus the log retention years, cited in the item's evidence."""
    request.max_content_length = MAX_REQUEST_BYTES  # files are larger than any form's JSON (8 MiB)
    actor = require_actor()
    saved = oversight().upload(actor, _audit(actor, inspection_id), item,
                               **uploaded(request.files.get("file"), field=f"item-{item}-file"))
    return jsonify(_item_json(saved)), 201


@bp.get("/inspections/<inspection_id>/files/<sha256>")
def get_inspection_file(inspection_id: str, sha256: str) -> ResponseReturnValue:
    """An evidence file of the audit, as uploaded (audited as ``inspection.evidence-read``)."""
    actor = require_actor()
    return evidence_download(actor, _audit(actor, inspection_id), sha256)


@bp.post("/inspections/<inspection_id>/answers")
def post_inspection_answers(inspection_id: str) -> ResponseReturnValue:
    """(the audited agency) Send the answers: ``{filled_by, filled_title}``; every item answered, in time."""
    actor = require_actor()
    sent = oversight().send_answers(actor, _audit(actor, inspection_id), json_object())
    return jsonify(inspection_json(sent))


@bp.put("/inspections/<inspection_id>/items/<item>/result")
def put_inspection_result(inspection_id: str, item: str) -> ResponseReturnValue:
    """(the team, from the audit day) ``{result: conform|nonconform|na, note}``."""
    actor = require_actor()
    saved = oversight().judge(actor, _audit(actor, inspection_id), item, json_object())
    return jsonify(_item_json(saved))


@bp.post("/inspections/<inspection_id>/findings")
def post_inspection_finding(inspection_id: str) -> ResponseReturnValue:
    """(the team) ``{item?, issue, action, due}``: a finding with its deadline."""
    actor = require_actor()
    finding = oversight().add_finding(actor, _audit(actor, inspection_id), json_object())
    return jsonify(_finding_json(finding)), 201


@bp.post("/inspections/<inspection_id>/finish")
def post_inspection_finish(inspection_id: str) -> ResponseReturnValue:
    """(the team) File the final 附件4, signed by the team, archived; the audit names its record."""
    actor = require_actor()
    done = oversight().finish(actor, _audit(actor, inspection_id), source_ip=source_ip())
    return jsonify(inspection_json(done)), 201


@bp.post("/inspections/<inspection_id>/findings/<number>/reply")
def post_finding_reply(inspection_id: str, number: str) -> ResponseReturnValue:
    """(the audited agency) ``{reply}``: its reply (函復) to a finding."""
    actor = require_actor()
    found = oversight().reply(actor, _audit(actor, inspection_id), number, json_object())
    return jsonify(_finding_json(found))


@bp.post("/inspections/<inspection_id>/findings/<number>/close")
def post_finding_close(inspection_id: str, number: str) -> ResponseReturnValue:
    """(the team) Close a replied finding."""
    actor = require_actor()
    return jsonify(_finding_json(oversight().close(actor, _audit(actor, inspection_id), number)))


@bp.post("/connections/<connection_id>/termination")
def post_connection_termination(connection_id: str) -> ResponseReturnValue:
    """(provider) Stop a connection by the provider's letter: ``{letter, letter_date, effective_on, reason}``;
    filed as its 終止 附件1, signed by the provider."""
    actor = require_actor()
    record_id = oversight().stop_connection(actor, connection_id, json_object(), source_ip=source_ip())
    return jsonify({"record_id": record_id, "connection_id": connection_id}), 201


@bp.get("/incidents")
def list_incidents() -> ResponseReturnValue:
    """Incidents reported (the caller's agency's; provider and admin: every agency's), newest first."""
    actor = require_actor()
    found = [_incident_json(i) for i in catalog().incidents(agency=actor.scope)]
    return jsonify(responses.IncidentList.model_validate({"incidents": found}).body())


@bp.post("/incidents/<record_id>/acknowledge")
def post_incident_acknowledge(record_id: str) -> ResponseReturnValue:
    """(provider) The report is read (已收悉): its time recorded unless a mail reached the provider first."""
    actor = require_actor()
    return jsonify(_incident_json(oversight().acknowledge(actor, record_id)))
