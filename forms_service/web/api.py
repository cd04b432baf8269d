"""The JSON API (``/api/v1``): forms and their schemas, creating records, reading them back."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from ..access import Actor, Role
from ..archive import pick_version
from ..archive.evidence import records_by_id
from ..archive.holds import extend_retention, set_legal_hold
from ..archive.report_text import verification_text
from ..archive.signatures import countersign
from ..catalog import NewAuditEvent, Record, RecordFilter
from ..connections.parties import acknowledge
from ..connections.reading import read_connection
from ..connections.timeline import Connection, connection_id_of, connections, today_in_taipei
from ..errors import Conflict, Forbidden, InputError
from ..filing.service import Filed, Waiting
from ..forms import all_forms, get_form
from ..querylog.events import ingest, parse_batch
from ..querylog.month import connection_of
from ..querylog.review import reviewed_flags
from ..querylog.values import QueryFlagReview
from ..taiwan import InvalidValue, normalize, normalize_agency_code, parse_date, taipei_day_range
from . import responses
from .access import pdf_download, visible_record
from .auth import reader_of, require_actor, retrieval_purpose, source_ip
from .body import int_arg, json_body, json_object
from .context import catalog, components

bp = Blueprint("api", __name__)


@bp.get("/forms")
def list_forms() -> ResponseReturnValue:
    return jsonify(responses.FormList(forms=[
        responses.FormListed.model_validate({"id": s.form_id, "annex": s.annex, "title": s.title,
                                             "schema": url_for("api.form_schema", form_id=s.form_id)})
        for s in all_forms()]).body())


@bp.get("/forms/<form_id>/schema")
def form_schema(form_id: str) -> ResponseReturnValue:
    return jsonify(get_form(form_id).json_schema())


@bp.post("/forms/<form_id>/records")
def create_record(form_id: str) -> ResponseReturnValue:
    """File a form: checked, signed in its blocks that can be signed now (the agency's key), archived.
    The answer names the block signed next, when the document still waits for a signer."""
    actor = require_actor()
    spec = get_form(form_id)
    data = json_body()
    service = components()
    filing = service.filing
    spec, form = filing.check(actor, spec.form_id, data)
    key = request.headers.get("Idempotency-Key", "").strip()
    if key:
        replay = _idempotent_replay(actor, key, form_id, data)
        if replay is not None:
            return replay
    try:
        outcome = filing.file_or_wait(actor, spec, form, source_ip=source_ip())
    except BaseException:
        if key:
            catalog().release_idempotency_key(actor.id, key)
        raise
    if isinstance(outcome, Waiting):  # its first block is a person's: it waits for his card
        body = responses.Waiting(
            draft_id=outcome.draft.id,
            signing=responses.Signing(order=list(outcome.signing_order), signed=[], next=outcome.next_block),
            warnings=[dict(w) for w in outcome.warnings],
            links=responses.WaitingLinks(sign=url_for("ui.sign_draft", draft_id=outcome.draft.id))).body()
        status = 202
    else:
        body, status = filed_json(outcome), 201
    if key:
        catalog().complete_idempotency_key(actor.id, key, body)
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = body["links"].get("self") or body["links"]["sign"]
    return response


def filed_json(filed: Filed) -> dict[str, Any]:
    """A record filed (or its next version signed): where it is, and its signing order's state."""
    stored = filed.stored
    return responses.Filed(
        record_id=stored.record_id, version=stored.number, version_id=stored.object_version, sha256=stored.sha256,
        size=stored.size, signing=responses.Signing(order=list(filed.signing_order), signed=list(filed.signed),
                                                    next=filed.next_block),
        warnings=[dict(w) for w in filed.warnings] or None,
        links=responses.FiledLinks.model_validate({
            "self": url_for("api.get_record", record_id=stored.record_id),
            "pdf": url_for("api.get_pdf", record_id=stored.record_id, version=stored.number)}),
    ).body()


def _idempotent_replay(actor: Actor, key: str, form_id: str, data: Any) -> Response | None:
    """The first answer for a retried request, or None when this request is the first."""
    if len(key) > 200:
        raise InputError("the Idempotency-Key header may be at most 200 characters",
                         details={"field": "Idempotency-Key"})
    digest = hashlib.sha256(json.dumps([form_id, data], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    existing = catalog().reserve_idempotency_key(actor.id, key, digest)
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise Conflict("this Idempotency-Key was used for a different request", details={"field": "Idempotency-Key"})
    if existing.state != "done":
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
    response = jsonify(existing.response)
    response.status_code = 202 if "draft_id" in existing.response else 201
    response.headers["Location"] = existing.response["links"].get("self") or existing.response["links"]["sign"]
    response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.post("/query-events")
def post_query_events() -> ResponseReturnValue:
    """A business system's query events (規範 六(四)2), as a JSON array or JSON Lines."""
    actor = require_actor()
    if actor.role is not Role.SYSTEM:
        raise Forbidden("查詢事件須以業務系統的憑證傳送")
    items = parse_batch(request.get_data(cache=False), request.content_type or "")
    connection = connection_of(catalog(), agency=actor.agency, system=actor.system, bound_to=actor.connection_id)
    result = ingest(catalog(), actor, items, clock=components().clock,
                    window_days=components().settings.query_event_window_days,
                    terminated_on=connection.terminated_on if connection else None)
    catalog().audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="query-events.post",
                                  source_ip=source_ip(), detail={"system": actor.system, **{
                                      "accepted": len(result.accepted), "duplicates": len(result.duplicates),
                                      "refused": len(result.refused)}}))
    return jsonify(responses.QueryEventsTaken.model_validate(result.as_dict()).body())


@bp.get("/query-logs/<system>/<month>")
def get_query_log(system: str, month: str) -> ResponseReturnValue:
    """One month of a system's query events: how many, and the flags for the 查核人員 (open month)."""
    actor = require_actor()
    agency = _query_log_agency(actor)
    found = components().query_log_duty.read(actor, agency, system, month, source_ip=source_ip())
    reviewer = catalog().query_reviewer(agency=agency, system=system)
    return jsonify(responses.QueryMonthAnswer.model_validate({
        **found.as_dict(), "reviewer": reviewer.username if reviewer else None,
        "flags": [f.as_dict() for f in reviewed_flags(catalog(), found)]}).body())


def _query_log_agency(actor: Actor) -> str:
    agency = normalize_agency_code(request.args.get("agency", "")) if actor.sees_all_agencies else actor.agency
    if not agency:
        raise InputError("give the agency: ?agency=<機關代碼>", details={"field": "agency"})
    return agency


@bp.post("/query-logs/<system>/<month>/close")
def post_close_query_log(system: str, month: str) -> ResponseReturnValue:
    """Close a finished month: its events sealed into the store, signed; no more events for it."""
    actor = require_actor()
    closed = components().query_log_duty.close(actor, _query_log_agency(actor), system, month)
    return jsonify(responses.ClosedMonth(month=closed.month, count=closed.count, object_key=closed.object_key,
                                         sha256=closed.sha256).body()), 201


@bp.put("/query-logs/<system>/reviewer")
def put_query_log_reviewer(system: str) -> ResponseReturnValue:
    """Assign the system's 查核人員 (an administrator): ``{"username": …}``."""
    actor = require_actor()
    body = json_object()
    duty = components().query_log_duty
    assigned, warning = duty.assign(actor, _query_log_agency(actor), system, str(body.get("username", "")))
    return jsonify(responses.ReviewerAssigned(agency=assigned.agency, system=assigned.system,
                                              username=assigned.username, warning=warning or None).body())


@bp.post("/query-logs/<system>/<month>/flags/<event_id>/<kind>/request")
def post_query_flag_request(system: str, month: str, event_id: str, kind: str) -> ResponseReturnValue:
    """The 查核人員 asks the querier of a flagged query for a 查調者說明: ``{"note": …}``."""
    actor = require_actor()
    body = json_object()
    saved = components().query_log_duty.request_explanation(actor, _query_log_agency(actor), system, month, event_id,
                                                            kind, str(body.get("note", "")))
    return jsonify(_flag_review(saved).body())


@bp.post("/query-logs/<system>/<month>/flags/<event_id>/<kind>/answer")
def post_query_flag_answer(system: str, month: str, event_id: str, kind: str) -> ResponseReturnValue:
    """The querier's 查調者說明 for a request about his own query: ``{"answer": …}``."""
    actor = require_actor()
    body = json_object()
    saved = components().query_log_duty.answer(actor, actor.agency, system, month, event_id, kind,
                                               str(body.get("answer", "")))
    return jsonify(_flag_review(saved).body())


@bp.post("/query-logs/<system>/<month>/flags/<event_id>/<kind>/decide")
def post_query_flag_decision(system: str, month: str, event_id: str, kind: str) -> ResponseReturnValue:
    """The 查核人員's verdict on a flag: ``{"verdict": "explained" | "violation", "note": …}``."""
    actor = require_actor()
    body = json_object()
    saved = components().query_log_duty.decide(actor, _query_log_agency(actor), system, month, event_id, kind,
                                               str(body.get("verdict", "")), str(body.get("note", "")))
    return jsonify(_flag_review(saved).body())


@bp.get("/connections")
def list_connections() -> ResponseReturnValue:
    """The connections (介接案) the caller's agency applied for or uses (provider, admin: all, or ``agency``)."""
    actor = require_actor()
    agency = (normalize_agency_code(request.args.get("agency", "")) or None) if actor.sees_all_agencies \
        else actor.agency
    today = today_in_taipei(components().clock.now())
    return jsonify(responses.ConnectionList.model_validate(
        {"connections": [c.as_dict(today) for c in connections(catalog(), agency=agency)]}).body())


@bp.get("/connections/<connection_id>")
def get_connection(connection_id: str) -> ResponseReturnValue:
    """One connection: its parties, 使用期限, state and every record of it, oldest first."""
    found = read_connection(catalog(), require_actor(), connection_id, source_ip=source_ip())
    return jsonify(_connection(found, today_in_taipei(components().clock.now())))


@bp.post("/connections/<connection_id>/acknowledge")
def acknowledge_connection(connection_id: str) -> ResponseReturnValue:
    """The 資料使用單位 says a connection another agency applied for naming it is its own (規範 六(一)2:
    the parties agree); until then the connection governs none of its queries or duties."""
    actor = require_actor()
    service = components()
    found = acknowledge(catalog(), actor, connection_id, now=service.clock.now(), notify=service.notifier,
                        source_ip=source_ip())
    return jsonify(_connection(found, today_in_taipei(components().clock.now())))


@bp.get("/due")
def get_due() -> ResponseReturnValue:
    """What is due, overdue first: ``agency`` (provider and admin; others see their own), ``within`` (days)."""
    actor = require_actor()
    if actor.sees_all_agencies:
        agency = normalize_agency_code(request.args.get("agency", "")) or None
    else:
        agency = actor.agency
    within = request.args.get("within", "").strip()
    if within and not (within.isdigit() and int(within) <= 3660):
        raise InputError("within: a number of days, 0–3660", details={"field": "within"})
    items = components().due_items(agency=agency, within=int(within) if within else None)
    return jsonify(responses.DueList.model_validate({"items": [i.as_dict() for i in items]}).body())


@bp.get("/my-queries")
def get_my_queries() -> ResponseReturnValue:
    """The requests for a 查調者說明 about the caller's own queries (a person's token)."""
    actor = require_actor()
    requests = [_flag_review(r) for r in components().query_log_duty.my_requests(actor)]
    return jsonify(responses.ExplanationRequests(requests=requests).body())


def _flag_review(review: QueryFlagReview) -> responses.FlagReviewAnswer:
    return responses.FlagReviewAnswer(
        system=review.system, month=review.month, event_id=review.event_id, kind=review.kind,
        sentence=review.sentence, querier=review.querier_account, state=review.state, request=review.request_note,
        answer=review.answer, decision=review.decision_note)


def _connection(found: Connection, today: date) -> dict[str, Any]:
    return responses.ConnectionAnswer.model_validate(found.as_dict(today)).body()


@bp.post("/query-logs/<system>/<month>/review")
def post_review_query_log(system: str, month: str) -> ResponseReturnValue:
    """The 查核人員's sign-off of a closed month: the 附件5 of every event, signed and archived."""
    actor = require_actor()
    agency = _query_log_agency(actor)
    record_id, entries = components().query_log_duty.sign_off(actor, agency, system, month, json_object(),
                                                             source_ip=source_ip())
    links = responses.RecordLinks.model_validate({"self": url_for("api.get_record", record_id=record_id)})
    return jsonify(responses.MonthSignedOff(record_id=record_id, entries=entries, links=links).body()), 201


@bp.get("/records")
def search_records() -> ResponseReturnValue:
    """Records the caller may see: ``form``, ``agency``, ``subject`` (統一編號), ``from``/``to`` (dates),
    ``limit`` (≤ 200), ``offset``."""
    actor = require_actor()
    args = request.args
    agency = normalize_agency_code(args.get("agency") or "") or None
    try:
        created_from, created_until = taipei_day_range(args.get("from"), args.get("to"))
    except InvalidValue as err:
        raise InputError(str(err), details={"field": err.field}) from None
    query = RecordFilter(
        agency=agency, form_id=args.get("form") or None, subject=normalize(args.get("subject") or "") or None,
        created_from=created_from, created_until=created_until,
        limit=int_arg("limit", 50, 1, 200), offset=int_arg("offset", 0, 0, 10**9),
    )
    # Scoped to the caller's agency; asking for another one finds nothing (and is logged as refused).
    records = components().reading.search(reader_of(actor, retrieval_purpose()), query, asked=dict(args.items()))
    return jsonify(responses.RecordPage(records=[responses.RecordSummary(**_record_fields(r)) for r in records],
                                        limit=query.limit, offset=query.offset).body())


@bp.get("/records/<record_id>")
def get_record(record_id: str) -> ResponseReturnValue:
    actor = require_actor()
    record = components().reading.record(reader_of(actor, retrieval_purpose()), record_id)
    return jsonify(responses.RecordDetail(**_record_fields(record), input=record.input,
                                          connection_id=connection_id_of(record)).body())


@bp.get("/records/<record_id>/verification")
def get_verification(record_id: str) -> ResponseReturnValue:
    reader = reader_of(require_actor())
    reading = components().reading
    record, version = reading.version(reader, record_id, _version_number(request.args.get("version")))
    result = reading.verification(reader, record, version)
    if request.args.get("format") == "text":
        return Response(verification_text(result.as_dict()), mimetype="text/plain; charset=utf-8")
    return jsonify(responses.VerificationReport.model_validate(result.as_dict()).body())


@bp.post("/records/<record_id>/countersign")
def post_countersign(record_id: str) -> ResponseReturnValue:
    actor = require_actor()
    visible_record(actor, record_id)
    service = components()
    stored = countersign(service.archive, service.countersigner, record_id, actor,
                         provider_name=service.settings.provider_name, source_ip=source_ip())
    links = responses.FiledLinks.model_validate({
        "self": url_for("api.get_record", record_id=stored.record_id),
        "pdf": url_for("api.get_pdf", record_id=stored.record_id, version=stored.number)})
    return jsonify(responses.NewVersion(record_id=stored.record_id, version=stored.number,
                                        version_id=stored.object_version, sha256=stored.sha256, size=stored.size,
                                        links=links).body()), 201


@bp.post("/records/<record_id>/legal-hold")
def post_legal_hold(record_id: str) -> ResponseReturnValue:
    """(admin) ``{"hold": true|false, "reason": "…"}``."""
    actor = require_actor()
    body = json_object(required=False)
    if not isinstance(body.get("hold"), bool):
        raise InputError("hold must be true or false", details={"field": "hold"})
    store, records = components().require_archive()
    record = set_legal_hold(store, records, record_id, actor, hold=body["hold"], reason=str(body.get("reason", "")),
                            source_ip=source_ip())
    return jsonify(_record_json(record))


@bp.post("/records/<record_id>/retention")
def post_retention(record_id: str) -> ResponseReturnValue:
    """(admin) ``{"until": "2032-12-31" or 民國, "reason": "…"}`` — extend, never shorten."""
    actor = require_actor()
    body = json_object(required=False)
    try:
        until = parse_date(body.get("until", ""))
    except InvalidValue as err:
        raise InputError(str(err), details={"field": "until"}) from None
    service = components()
    store, records = service.require_archive()
    record = extend_retention(store, records, record_id, actor, until=until, reason=str(body.get("reason", "")),
                              default_mode=service.settings.lock_mode, source_ip=source_ip())
    return jsonify(_record_json(record))


@bp.get("/records/<record_id>/pdf")
def get_pdf(record_id: str) -> ResponseReturnValue:
    actor = require_actor()
    purpose = retrieval_purpose()
    record = visible_record(actor, record_id)
    version = pick_version(record, _version_number(request.args.get("version")))
    return pdf_download(actor, record, version, purpose)


@bp.post("/exports")
def post_export() -> ResponseReturnValue:
    """An evidence ZIP of ``{"records": ["id", …], "latest_only": false}``: PDFs, validation reports
    and a signed manifest.  A record the caller may not see fails the whole export with 404."""
    actor = require_actor()
    purpose = retrieval_purpose()
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("records"), list) or not all(
            isinstance(i, str) for i in body["records"]):
        raise InputError('the body must be JSON {"records": ["record id", …]}', details={"field": "records"})
    latest_only = body.get("latest_only", False)
    if not isinstance(latest_only, bool):
        raise InputError("latest_only must be true or false", details={"field": "latest_only"})
    records = records_by_id(body["records"], lambda record_id: visible_record(actor, record_id))
    export = components().exporter.export(records, actor, latest_only=latest_only, purpose=purpose,
                                          source_ip=source_ip())
    return Response(export.data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="evidence-{export.export_id}.zip"',
        "X-Manifest-SHA256": export.manifest_sha256,
        "Cache-Control": "private, no-store",
    })


def _version_number(requested: str | None) -> int | None:
    if requested is None:
        return None
    try:
        return int(requested)
    except ValueError:
        raise InputError("version must be a version number (1, 2, …)", details={"field": "version"}) from None


def _record_fields(record: Record) -> dict[str, Any]:
    """A record's answer's fields (``responses.RecordSummary`` and the models built on it)."""
    return {
        "record_id": record.id, "form_id": record.form_id, "title": record.title,
        "agency": responses.Party(name=record.agency_name, code=record.agency_code),
        "user_unit": record.user_unit_name, "status": record.status,
        "period": responses.Period(start=record.period_start, end=record.period_end),
        "created_at": record.created_at, "created_by": record.created_by,
        "versions": [responses.RecordVersion(
            version=v.number, version_id=v.object_version, sha256=v.sha256, size=v.size, pages=v.pages,
            signatures=v.signatures, created_at=v.created_at,
            retention=responses.Retention(mode=v.retention_mode, retain_until=v.retain_until),
            legal_hold=v.legal_hold, pdfa=v.pdfa, signature_report=v.signature_report,
            pdf=url_for("api.get_pdf", record_id=record.id, version=v.number)) for v in record.versions],
    }


def _record_json(record: Record) -> dict[str, Any]:
    return responses.RecordAnswer(**_record_fields(record), input=record.input).body()
