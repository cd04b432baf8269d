"""``GET /api/v1/openapi.json``: the API described in OpenAPI 3.1, built from the forms' models and
the answers' models.

Each form's request body is its pydantic model's JSON Schema (the contract of docs/forms.md); each
answer's schema is its model's in ``responses.py``, the model the view answers with; the shared
definitions are hoisted into ``components/schemas``.  ``tests/test_openapi.py`` checks that the
description is valid, names every route of the API blueprint, and describes real answers.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from ..forms import all_forms
from . import responses
from .responses import ref

bp = Blueprint("openapi", __name__)

ERROR = {"$ref": "#/components/responses/Error"}
RECORD_ID = {"name": "record_id", "in": "path", "required": True, "schema": {"type": "string"}}
VERSION = {"name": "version", "in": "query", "schema": {"type": "integer", "minimum": 1},
           "description": "a version number; default the newest"}
PURPOSE_HEADERS = [
    {"name": "X-Purpose", "in": "header", "schema": {"type": "string", "maxLength": 200},
     "description": "why the record is retrieved (audited; required when FORMS_REQUIRE_PURPOSE is on)"},
    {"name": "X-Case-Number", "in": "header", "schema": {"type": "string", "maxLength": 100},
     "description": "the case number it is for (audited)"},
]


FLAG_REVIEW = ref(responses.FlagReviewAnswer)
CONNECTION = ref(responses.ConnectionAnswer)
INSPECTION = ref(responses.InspectionAnswer)
CHECKLIST_ITEM = ref(responses.ChecklistItemAnswer)
FINDING = ref(responses.FindingAnswer)
INCIDENT = ref(responses.IncidentAnswer)
RESULT_VALUES = {"type": "string", "enum": ["conform", "nonconform", "na"]}
QUERY_LOG_PARAMETERS = [
    {"name": "system", "in": "path", "required": True, "schema": {"type": "string"}},
    {"name": "month", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}},
    {"name": "agency", "in": "query", "schema": {"type": "string"},
     "description": "the agency's 機關代碼 (provider and admin; others act for their own)"},
]


def _errors(*statuses: int) -> dict:
    return {str(s): ERROR for s in statuses}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _form_schemas() -> tuple[dict, dict]:
    """(form id → body schema reference, components/schemas) from the forms' models."""
    schemas: dict[str, dict] = {}
    bodies: dict[str, dict] = {}
    for spec in all_forms():
        schema = spec.model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            if schemas.setdefault(name, definition) != definition:
                raise RuntimeError(f"two forms define a different schema named {name}")
        schema["title"] = f"{spec.form_id} — {spec.annex} {spec.title}"
        schemas[spec.form_id] = schema
        bodies[spec.form_id] = {"$ref": f"#/components/schemas/{spec.form_id}"}
    return bodies, schemas


@lru_cache(maxsize=1)
def describe() -> dict:
    bodies, schemas = _form_schemas()
    created = ref(responses.Filed)
    waiting = ref(responses.Waiting)
    paths = {
        "/forms": {"get": {"summary": "The forms this service fills", "security": [], "operationId": "listForms",
                           "responses": {"200": _json(ref(responses.FormList), "form ids, 附件 and titles")}}},
        "/forms/{form_id}/schema": {"get": {
            "summary": "A form's JSON Schema", "security": [], "operationId": "formSchema",
            "parameters": [{"name": "form_id", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": sorted(bodies)}}],
            "responses": {"200": _json({"type": "object"}, "JSON Schema 2020-12"), **_errors(404)}}},
        "/forms/{form_id}/records": {"post": {
            "summary": "Fill, convert to PDF/A, sign and archive a form", "operationId": "createRecord",
            "parameters": [{"name": "form_id", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": sorted(bodies)}},
                           {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string", "maxLength": 200},
                            "description": "a retried request with the same key gets the first answer"}],
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": {"oneOf": list(bodies.values())}}}},
            "responses": {"201": _json(created, "the record and its first version"),
                          "202": _json(waiting, "waiting for its first signer's card, as a draft"),
                          **_errors(400, 401, 403, 404, 409, 422, 429, 503)}}},
        "/signing-sessions": {"post": {
            "summary": "Begin signing with a card: the document prepared, the bytes the card signs",
            "operationId": "beginSigningSession",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["certificate"], "properties": {
                    "certificate": {"type": "string", "description": "the card's certificate: base64 DER or PEM"},
                    "form": {"type": "string"}, "input": {"type": "object"}, "draft": {"type": "string"},
                    "record": {"type": "string"}, "block": {"type": "string"}}}}}},
            "responses": {"201": _json(ref(responses.SigningSessionAnswer),
                                       "the session: what the card signs, until when"),
                          **_errors(400, 401, 403, 404, 409, 422, 429, 503)}}},
        "/signing-sessions/{session_id}/signature": {"post": {
            "summary": "Complete signing with the card's raw signature: the record filed or its next version",
            "operationId": "completeSigningSession",
            "parameters": [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["signature"], "properties": {
                    "signature": {"type": "string", "description": "the card's PKCS#1 signature, base64"}}}}}},
            "responses": {"201": _json(created, "the record filed, or its next version"),
                          **_errors(400, 401, 403, 404, 409, 410, 422, 429, 503)}}},
        "/records": {"get": {
            "summary": "Search the records the caller may see", "operationId": "searchRecords",
            "parameters": [
                {"name": "form", "in": "query", "schema": {"type": "string"}},
                {"name": "agency", "in": "query", "schema": {"type": "string"}, "description": "the agency's 機關代碼"},
                {"name": "subject", "in": "query", "schema": {"type": "string", "pattern": "^[0-9]{8}$"},
                 "description": "統一編號 the record is about"},
                {"name": "from", "in": "query", "schema": {"type": "string"}, "description": "2026-01-31 or 115/1/31"},
                {"name": "to", "in": "query", "schema": {"type": "string"}, "description": "inclusive"},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
                {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                *PURPOSE_HEADERS],
            "responses": {"200": _json(ref(responses.RecordPage), "one page of records"),
                          **_errors(400, 401, 403, 429, 503)}}},
        "/records/{record_id}": {"get": {
            "summary": "A record, its versions and their signature reports", "operationId": "getRecord",
            "parameters": [RECORD_ID, *PURPOSE_HEADERS],
            "responses": {"200": _json(ref(responses.RecordDetail), "the record"),
                          **_errors(400, 401, 403, 404, 429, 503)}}},
        "/records/{record_id}/pdf": {"get": {
            "summary": "Download a version's PDF (sha256 checked on read)", "operationId": "getPdf",
            "parameters": [RECORD_ID, VERSION, *PURPOSE_HEADERS],
            "responses": {"200": {"description": "the PDF", "headers": {
                "X-Content-SHA256": {"schema": {"type": "string"}}},
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                **_errors(400, 401, 403, 404, 429, 503)}}},
        "/records/{record_id}/verification": {"get": {
            "summary": "Validate a version's signatures now", "operationId": "getVerification",
            "parameters": [RECORD_ID, VERSION, {"name": "format", "in": "query", "schema": {"enum": ["json", "text"]}}],
            "responses": {"200": {"description": "the verification report (format=text: as plain text)", "content": {
                "application/json": {"schema": ref(responses.VerificationReport)},
                "text/plain": {"schema": {"type": "string"}}}},
                          **_errors(400, 401, 403, 404, 429, 503)}}},
        "/records/{record_id}/countersign": {"post": {
            "summary": "The data provider's countersignature on a 附件2 (role provider)", "operationId": "countersign",
            "parameters": [RECORD_ID],
            "responses": {"201": _json(ref(responses.NewVersion), "the new version"),
                          **_errors(400, 401, 403, 404, 429, 503)}}},
        "/records/{record_id}/legal-hold": {"post": {
            "summary": "Place or lift a legal hold (admin)", "operationId": "setLegalHold", "parameters": [RECORD_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["hold", "reason"],
                "properties": {"hold": {"type": "boolean"}, "reason": {"type": "string"}}}}}},
            "responses": {"200": _json(ref(responses.RecordAnswer), "the record"),
                          **_errors(400, 401, 403, 404, 429, 503)}}},
        "/records/{record_id}/retention": {"post": {
            "summary": "Extend retention, never shorten (admin)", "operationId": "extendRetention",
            "parameters": [RECORD_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["until", "reason"],
                "properties": {"until": {"type": "string"}, "reason": {"type": "string"}}}}}},
            "responses": {"200": _json(ref(responses.RecordAnswer), "the record"),
                          **_errors(400, 401, 403, 404, 429, 503)}}},
        "/exports": {"post": {
            "summary": "An evidence ZIP: PDFs, validation reports, a signed manifest", "operationId": "createExport",
            "parameters": PURPOSE_HEADERS,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["records"],
                "properties": {"records": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                                           "maxItems": 200},
                               "latest_only": {"type": "boolean", "default": False}}}}}},
            "responses": {"200": {"description": "the ZIP",
                                  "headers": {"X-Manifest-SHA256": {"schema": {"type": "string"}}},
                                  "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
                          **_errors(400, 401, 403, 404, 429, 503)}}},
        "/query-events": {"post": {
            "summary": "A business system's query events (role system; 規範 六(四)2)", "operationId": "postQueryEvents",
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"type": "array", "maxItems": 5000,
                                                "items": {"$ref": "#/components/schemas/QueryEvent"}}},
                "application/x-ndjson": {"schema": {"type": "string",
                                                    "description": "one QueryEvent JSON object a line"}}}},
            "responses": {"200": _json(ref(responses.QueryEventsTaken),
                "what was stored, what was already there, what was refused and why"),
                **_errors(400, 401, 403, 429, 503)}}},
        "/query-logs/{system}/{month}": {"get": {
            "summary": "A month of a system's query events: the count and the flags for the 查核人員",
            "operationId": "getQueryLog",
            "parameters": [{"name": "system", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "month", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}},
                           {"name": "agency", "in": "query", "schema": {"type": "string"},
                            "description": "the agency's 機關代碼 (provider and admin; others see their own)"}],
            "responses": {"200": _json(ref(responses.QueryMonthAnswer),
                "the month"), **_errors(400, 401, 403, 429, 503)}}},
        "/query-logs/{system}/reviewer": {"put": {
            "summary": "Assign the system's 查核人員 (admin); never one of its unsigned months' queriers",
            "operationId": "assignQueryLogReviewer", "parameters": QUERY_LOG_PARAMETERS[:1] + QUERY_LOG_PARAMETERS[2:],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["username"], "properties": {"username": {"type": "string"}}}}}},
            "responses": {"200": _json(ref(responses.ReviewerAssigned), "the assignment"),
                          **_errors(400, 401, 403, 429, 503)}}},
        **{f"/query-logs/{{system}}/{{month}}/flags/{{event_id}}/{{kind}}/{step}": {"post": {
            "summary": summary, "operationId": operation,
            "parameters": QUERY_LOG_PARAMETERS + [
                {"name": "event_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "kind", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": body}}}},
            "responses": {"200": _json(FLAG_REVIEW, "the flag's review"),
                          **_errors(400, 401, 403, 404, 409, 429, 503)}}}
            for step, summary, operation, body in (
                ("request", "The 查核人員 asks the querier for a 查調者說明", "requestQueryExplanation",
                 {"note": {"type": "string"}}),
                ("answer", "The querier's 查調者說明 (his own query only)", "answerQueryExplanation",
                 {"answer": {"type": "string"}}),
                ("decide", "The 查核人員 marks the flag explained or 違規", "decideQueryFlag",
                 {"verdict": {"type": "string", "enum": ["explained", "violation"]}, "note": {"type": "string"}}))},
        "/connections": {"get": {
            "summary": "The connections (介接案) of the caller's agency, newest first",
            "operationId": "listConnections",
            "parameters": [{"name": "agency", "in": "query", "schema": {"type": "string"},
                            "description": "the agency's 機關代碼 (provider and admin; others see their own)"}],
            "responses": {"200": _json(ref(responses.ConnectionList), "the connections"),
                          **_errors(401, 403, 429, 503)}}},
        "/connections/{connection_id}": {"get": {
            "summary": "One connection: parties, 使用期限, state, and its records oldest first",
            "operationId": "getConnection",
            "parameters": [{"name": "connection_id", "in": "path", "required": True, "schema": {"type": "string"},
                            "description": "the record id of its first 附件1"}],
            "responses": {"200": _json(CONNECTION, "the connection"), **_errors(401, 403, 404, 429, 503)}}},
        "/connections/{connection_id}/acknowledge": {"post": {
            "summary": "(the 資料使用單位's staff) Acknowledge a connection another agency applied for naming you",
            "operationId": "acknowledgeConnection",
            "parameters": [{"name": "connection_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(CONNECTION, "the connection, acknowledged"),
                          **_errors(401, 403, 404, 429, 503)}}},
        "/inspections": {
            "post": {
                "summary": "(provider) Schedule an audit of an agency (規範 七), at least a month ahead",
                "operationId": "scheduleInspection",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["agency", "audit_on", "team"], "properties": {
                        "agency": {"type": "string"}, "audit_on": {"type": "string", "description": "民國 or ISO date"},
                        "team": {"type": "string"}, "connection_id": {"type": "string"}}}}}},
                "responses": {"201": _json(INSPECTION, "the scheduled audit, and the addresses notified"),
                              **_errors(400, 401, 403, 429, 503)}},
            "get": {
                "summary": "Scheduled audits of the caller's agency (provider, admin: all)",
                "operationId": "listInspections",
                "responses": {"200": _json(ref(responses.InspectionList), "the audits"),
                              **_errors(401, 403, 429, 503)}}},
        **_oversight_paths(),
        **_batch_paths(),
        "/due": {"get": {
            "summary": "What is due (months to sign off, explanations, quiet systems), overdue first",
            "operationId": "due",
            "parameters": [{"name": "agency", "in": "query", "schema": {"type": "string"},
                            "description": "the agency's 機關代碼 (provider and admin; others see their own)"},
                           {"name": "within", "in": "query", "schema": {"type": "integer", "minimum": 0},
                            "description": "only what is due within this many days (overdue items always)"}],
            "responses": {"200": _json(ref(responses.DueList), "the due items"),
                          **_errors(400, 401, 403, 429, 503)}}},
        "/my-queries": {"get": {
            "summary": "The requests for a 查調者說明 about the caller's own queries (a person's token)",
            "operationId": "myQueries",
            "responses": {"200": _json(ref(responses.ExplanationRequests), "the requests"),
                          **_errors(401, 403, 429, 503)}}},
        "/query-logs/{system}/{month}/close": {"post": {
            "summary": "Close a finished month: its events sealed and signed into the store (staff, admin)",
            "operationId": "closeQueryLog", "parameters": QUERY_LOG_PARAMETERS,
            "responses": {"201": _json(ref(responses.ClosedMonth), "the sealed month"),
                          **_errors(400, 401, 403, 409, 429, 503)}}},
        "/query-logs/{system}/{month}/review": {"post": {
            "summary": "The 查核人員's sign-off of a closed month: its 附件5, signed and archived",
            "description": "By the system's assigned 查核人員 (a person's token), once every flag has its verdict. "
                           "The register names him as the reviewer (of the body's reviewer only the title is "
                           "kept); reviewed_on defaults to today.",
            "operationId": "reviewQueryLog", "parameters": QUERY_LOG_PARAMETERS,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/Review"}}}},
            "responses": {"201": _json(ref(responses.MonthSignedOff), "the 附件5 record"),
                          **_errors(400, 401, 403, 404, 422, 429, 503)}}},
        "/openapi.json": {"get": {"summary": "This description", "security": [], "operationId": "openapi",
                                  "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")}}},
    }
    error_schema = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string", "description": "stable, for programs"},
                       "message": {"type": "string", "description": "a sentence, for people"},
                       "field": {"type": "string"}, "errors": {"type": "array", "items": {"type": "object"}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Forms Service API", "version": _version(),
                 "description": "Fill, sign and archive the attachments of 使用商工資料資通安全管理規範, "
                                "and retrieve them as evidence.  Every retrieval is audited."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "a token from `forms-service tokens create`"}},
            "responses": {"Error": _json({"$ref": "#/components/schemas/Error"}, "an error with a stable code")},
            "schemas": {"Error": error_schema, "QueryEvent": _query_event_schema(), **schemas,
                        **responses.schemas()},
        },
    }


def _batch_paths() -> dict:
    """Batches: many inputs of one form, produced by the background workers."""
    batch_id = [{"name": "batch_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    batch = ref(responses.BatchAnswer)
    return {
        "/batches": {"post": {
            "summary": "Many inputs of one form, produced and filed in the background (202 + Location)",
            "description": "Each input is checked at once: a bad one is refused with its field and the rest are "
                           "queued. Workers of every instance take the entries; each is filed exactly once. "
                           "With a webhook (https, or http to this machine) the service POSTs the outcome when "
                           "the batch ends, signed: X-Forms-Signature = sha256=HMAC(secret, "
                           "X-Forms-Timestamp + '.' + body), tried again with doubling waits.",
            "operationId": "createBatch",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["form", "inputs"], "properties": {
                    "form": {"type": "string"}, "inputs": {"type": "array", "items": {"type": "object"}},
                    "webhook": {"type": "string"}}}}}},
            "responses": {"202": _json(batch, "the batch, queued"), **_errors(400, 401, 403, 404, 413, 429, 503)}}},
        "/batches/{batch_id}": {"get": {
            "summary": "A batch's progress: each entry's state, its record or its problem",
            "description": "total, counts and progress always count every entry; entries holds all of them, "
                           "or with limit a window of them by number from 'from' on (follow links.next).",
            "operationId": "getBatch", "parameters": batch_id + [
                {"name": "from", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1},
                 "description": "the first entry number of the window"},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
                 "description": "at most this many entries (without it: every entry)"}],
            "responses": {"200": _json(batch, "the batch"), **_errors(401, 404, 429, 503)}}},
        "/batches/{batch_id}/cancel": {"post": {
            "summary": "Cancel the entries still waiting (those being produced finish)",
            "operationId": "cancelBatch", "parameters": batch_id,
            "responses": {"200": _json(batch, "the batch"), **_errors(401, 404, 429, 503)}}},
    }


def _oversight_paths() -> dict:
    """An audit's checklist work and the incident reports."""
    audit = [{"name": "inspection_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    item = audit + [{"name": "item", "in": "path", "required": True, "schema": {"type": "integer"}}]
    number = audit + [{"name": "number", "in": "path", "required": True, "schema": {"type": "integer"}}]

    def body(properties: dict) -> dict:
        return {"required": True, "content": {"application/json": {"schema": {"type": "object",
                                                                              "properties": properties}}}}

    def step(summary: str, operation: str, parameters: list, schema: dict, status: str = "200",
             request: dict | None = None, method: str = "post") -> dict:
        described: dict = {"summary": summary, "operationId": operation, "parameters": parameters,
                           "responses": {status: _json(schema, summary), **_errors(400, 401, 403, 404, 429, 503)}}
        if request is not None:
            described["requestBody"] = body(request)
        return {method: described}

    return {
        "/inspections/{inspection_id}": {"get": {
            "summary": "One audit: the checklist prepared from the agency's 附件3, both columns, the findings",
            "operationId": "getInspection", "parameters": audit,
            "responses": {"200": _json(ref(responses.InspectionDetail), "the audit"),
                **_errors(401, 403, 404, 429, 503)}}},
        "/inspections/{inspection_id}/items/{item}/answer": step(
            "(the audited agency) Its answer to one item, with archived records as evidence, before the deadline",
            "answerInspectionItem", item, CHECKLIST_ITEM, method="put", request={
                "self_result": RESULT_VALUES, "note": {"type": "string"},
                "evidence": {"type": "array", "items": {"type": "string"}}}),
        "/inspections/{inspection_id}/items/{item}/files": {"post": {
            "summary": "(the audited agency) A file as evidence (at most 20 MiB), archived under retention and cited",
            "operationId": "uploadInspectionFile", "parameters": item,
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": _json(CHECKLIST_ITEM, "the item, citing the file"),
                          **_errors(400, 401, 403, 404, 429, 503)}}},
        "/inspections/{inspection_id}/files/{sha256}": {"get": {
            "summary": "An evidence file of the audit, as uploaded (audited)", "operationId": "getInspectionFile",
            "parameters": audit + [{"name": "sha256", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the file", "content": {"application/octet-stream": {}}},
                          **_errors(401, 403, 404, 429, 503)}}},
        "/inspections/{inspection_id}/answers": step(
            "(the audited agency) Send the answers: every item answered, the 填表人 named (規範七(四)2)",
            "sendInspectionAnswers", audit, INSPECTION,
            request={"filled_by": {"type": "string"}, "filled_title": {"type": "string"}}),
        "/inspections/{inspection_id}/items/{item}/result": step(
            "(the team, from the audit day) Its result on one item", "judgeInspectionItem", item, CHECKLIST_ITEM,
            method="put", request={"result": RESULT_VALUES, "note": {"type": "string"}}),
        "/inspections/{inspection_id}/findings": step(
            "(the team) A finding with its deadline", "addInspectionFinding", audit, FINDING, "201",
            request={"item": {"type": "string"}, "issue": {"type": "string"}, "action": {"type": "string"},
                     "due": {"type": "string", "description": "民國 or ISO date"}}),
        "/inspections/{inspection_id}/finish": step(
            "(the team) File the final 附件4, signed by the team's key, archived", "finishInspection", audit,
            INSPECTION, "201"),
        "/inspections/{inspection_id}/findings/{number}/reply": step(
            "(the audited agency) Its reply (函復) to a finding", "replyInspectionFinding", number, FINDING,
            request={"reply": {"type": "string"}}),
        "/inspections/{inspection_id}/findings/{number}/close": step(
            "(the team) Close a replied finding", "closeInspectionFinding", number, FINDING),
        "/connections/{connection_id}/termination": step(
            "(provider) Stop a connection by the provider's letter: filed as its 終止 附件1, signed by the provider",
            "stopConnection", [{"name": "connection_id", "in": "path", "required": True,
                                "schema": {"type": "string"}}],
            {"type": "object", "properties": {"record_id": {"type": "string"}, "connection_id": {"type": "string"}}},
            "201", request={"letter": {"type": "string", "description": "the provider's 函文 文號"},
                            "letter_date": {"type": "string"}, "effective_on": {"type": "string"},
                            "reason": {"type": "string"},
                            "backdate": {"type": "boolean", "description": "an 終止日期 before today, on purpose"}}),
        "/incidents": {"get": {
            "summary": "Incidents reported (the caller's agency's; provider and admin: all), newest first",
            "operationId": "listIncidents",
            "responses": {"200": _json(ref(responses.IncidentList), "the incidents"),
                          **_errors(401, 403, 429, 503)}}},
        "/incidents/{record_id}/acknowledge": step(
            "(provider) The report is read (已收悉): its time recorded unless a mail reached the provider first",
            "acknowledgeIncident", [{"name": "record_id", "in": "path", "required": True,
                                     "schema": {"type": "string"}}], INCIDENT),
    }


def _query_event_schema() -> dict:
    from ..querylog.events import QueryEventInput

    schema = QueryEventInput.model_json_schema(ref_template="#/components/schemas/QueryEvent_{model}")
    defs = schema.pop("$defs", {})
    # Nested definitions inline: the event's user and subject are small objects.
    text = json.dumps(schema)
    for name, definition in defs.items():
        text = text.replace(json.dumps({"$ref": f"#/components/schemas/QueryEvent_{name}"}), json.dumps(definition))
    return dict(json.loads(text))


def _version() -> str:
    try:
        return version("forms-service")
    except PackageNotFoundError:
        return "0"


@bp.get("/openapi.json")
def openapi_json() -> ResponseReturnValue:
    return jsonify(describe())
