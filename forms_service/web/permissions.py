"""The action of every route (``access/policy.py`` says which roles may take it): checked once per
request, before the view runs — for the API when the caller's token is read, for the pages when the
session is.  A route missing here is refused to everyone but an administrator, and
``tests/test_permissions.py`` fails until it is named.
"""

from __future__ import annotations

from ..access.policy import Action

# Routes anyone may call: the sign-in page, health (``/metrics`` checks its own callers), the API's
# description and the forms' schemas, the local socket (which checks that it is one).
PUBLIC = frozenset({"ui.login", "ui.static", "static", "health.livez", "health.readyz", "health.prometheus_metrics",
                    "openapi.openapi_json", "api.list_forms", "api.form_schema", "local.render"})
# Routes every signed-in caller may use whatever his role: the home page (it sends each to his work), signing out.
ANY_SIGNED_IN = frozenset({"ui.home", "ui.logout"})

A = Action
ENDPOINTS: dict[str, Action] = {
    # records
    "api.search_records": A.READ_RECORDS, "api.get_record": A.READ_RECORDS, "api.get_pdf": A.READ_RECORDS,
    "api.get_verification": A.READ_RECORDS, "api.post_export": A.READ_RECORDS,
    "ui.records": A.READ_RECORDS, "ui.record": A.READ_RECORDS, "ui.download": A.READ_RECORDS,
    "ui.preview": A.READ_RECORDS, "ui.verification": A.READ_RECORDS, "ui.export_evidence": A.READ_RECORDS,
    "ui.export_results": A.READ_RECORDS,
    "api.post_legal_hold": A.HOLD_AND_RETAIN, "api.post_retention": A.HOLD_AND_RETAIN,
    # filing
    "ui.forms": A.FILE_FORMS,
    "api.create_record": A.FILE_FORMS, "api.create_batch": A.FILE_FORMS, "api.cancel_batch": A.FILE_FORMS,
    "ui.new_form": A.FILE_FORMS, "ui.post_form": A.FILE_FORMS, "ui.drafts": A.FILE_FORMS,
    "ui.draft_json": A.FILE_FORMS, "ui.delete_draft": A.FILE_FORMS, "ui.cancel_batch_page": A.FILE_FORMS,
    "api.get_batch": A.READ_BATCHES, "ui.batches_page": A.READ_BATCHES, "ui.batch_page": A.READ_BATCHES,
    # signing in one's turn
    "api.begin_signing_session": A.SIGN_DOCUMENTS, "api.complete_signing_session": A.SIGN_DOCUMENTS,
    "ui.begin_signing": A.SIGN_DOCUMENTS, "ui.complete_signing": A.SIGN_DOCUMENTS,
    "ui.sign_draft": A.SIGN_DOCUMENTS, "ui.sign_draft_with_agency_key": A.SIGN_DOCUMENTS,
    "ui.sign_record": A.SIGN_DOCUMENTS, "ui.sign_record_with_agency_key": A.SIGN_DOCUMENTS,
    "ui.return_draft_page": A.SIGN_DOCUMENTS, "ui.return_record_page": A.SIGN_DOCUMENTS,
    "api.post_countersign": A.COUNTERSIGN, "ui.countersign_list": A.COUNTERSIGN,
    "ui.countersign_review": A.COUNTERSIGN, "ui.countersign_decide": A.COUNTERSIGN,
    # what is due
    "api.get_due": A.SEE_DUE, "ui.due": A.SEE_DUE,
    # connections
    "api.list_connections": A.READ_CONNECTIONS, "api.get_connection": A.READ_CONNECTIONS,
    "ui.connections_page": A.READ_CONNECTIONS, "ui.connection_page": A.READ_CONNECTIONS,
    "api.acknowledge_connection": A.ACKNOWLEDGE_CONNECTIONS, "ui.connection_acknowledge": A.ACKNOWLEDGE_CONNECTIONS,
    "api.post_connection_termination": A.STOP_CONNECTIONS, "ui.connection_stop": A.STOP_CONNECTIONS,
    # the monthly query logs
    "api.post_query_events": A.POST_QUERY_EVENTS,
    "api.get_query_log": A.READ_QUERY_LOGS, "ui.query_logs": A.READ_QUERY_LOGS, "ui.query_log": A.READ_QUERY_LOGS,
    "ui.query_log_action": A.READ_QUERY_LOGS,  # each action of the page checked again by its service
    "api.post_close_query_log": A.CLOSE_QUERY_MONTHS,
    "api.post_query_flag_request": A.REVIEW_QUERY_LOGS, "api.post_query_flag_decision": A.REVIEW_QUERY_LOGS,
    "api.post_review_query_log": A.REVIEW_QUERY_LOGS,
    "api.get_my_queries": A.ANSWER_OWN_QUERIES, "api.post_query_flag_answer": A.ANSWER_OWN_QUERIES,
    "ui.my_queries": A.ANSWER_OWN_QUERIES, "ui.my_query_answer": A.ANSWER_OWN_QUERIES,
    "api.put_query_log_reviewer": A.MANAGE_ACCESS,
    # audits (規範七) and incidents
    "api.list_inspections": A.READ_INSPECTIONS, "api.get_inspection": A.READ_INSPECTIONS,
    "api.get_inspection_file": A.READ_INSPECTIONS, "ui.inspections_page": A.READ_INSPECTIONS,
    "ui.inspection_page": A.READ_INSPECTIONS, "ui.inspection_file": A.READ_INSPECTIONS,
    "api.post_inspection": A.SCHEDULE_AUDITS, "api.put_inspection_result": A.SCHEDULE_AUDITS,
    "api.post_inspection_finding": A.SCHEDULE_AUDITS, "api.post_inspection_finish": A.SCHEDULE_AUDITS,
    "api.post_finding_close": A.SCHEDULE_AUDITS, "ui.inspection_schedule": A.SCHEDULE_AUDITS,
    "ui.inspection_results": A.SCHEDULE_AUDITS, "ui.inspection_finding": A.SCHEDULE_AUDITS,
    "ui.inspection_finding_close": A.SCHEDULE_AUDITS,
    "api.put_inspection_answer": A.ANSWER_AUDITS, "api.post_inspection_file": A.ANSWER_AUDITS,
    "api.post_inspection_answers": A.ANSWER_AUDITS, "api.post_finding_reply": A.ANSWER_AUDITS,
    "ui.inspection_answers": A.ANSWER_AUDITS, "ui.inspection_finding_reply": A.ANSWER_AUDITS,
    "api.list_incidents": A.READ_INCIDENTS, "ui.incidents_page": A.READ_INCIDENTS,
    "api.post_incident_acknowledge": A.ACKNOWLEDGE_INCIDENTS, "ui.incident_acknowledge": A.ACKNOWLEDGE_INCIDENTS,
    # administration
    "ui.agencies": A.MANAGE_ACCESS, "ui.agency": A.MANAGE_ACCESS, "ui.save_agency": A.MANAGE_ACCESS,
    "ui.users": A.MANAGE_ACCESS, "ui.user_change": A.MANAGE_ACCESS, "ui.tokens": A.MANAGE_ACCESS,
    "ui.token_change": A.MANAGE_ACCESS, "ui.signers": A.MANAGE_ACCESS, "ui.signer_change": A.MANAGE_ACCESS,
    "ui.query_reviewers": A.MANAGE_ACCESS, "ui.query_reviewer_assign": A.MANAGE_ACCESS,
}


def action_of(endpoint: str | None) -> Action | None:
    """The action of the route ``endpoint`` (None: any signed-in caller); an unnamed route is the
    administrators' alone until it is named."""
    if endpoint in ANY_SIGNED_IN:
        return None
    return ENDPOINTS.get(endpoint or "", Action.MANAGE_ACCESS)
