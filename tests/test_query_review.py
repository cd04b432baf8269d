"""The 查核人員's monthly review, end to end through the API and the pages: a month of events
(one querier no 使用者 of the 附件1), closed; the assigned 查核人員 asks the querier for a
查調者說明, the querier answers on his own page, the flag is judged, and the month is signed off
into its 附件5 — and everything a person may not do is refused with a sentence."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.connections.tokens import create_system_token
from tests.conftest import agreed_connection

PASSWORD = "correct horse battery"


def _month_of_events(client, catalog, example, clock, *, extra_users=()):
    """A 附件1, three of its users' queries in 2026-11 (tp-lee is no 使用者), the clock past the month."""
    application = agreed_connection(client, catalog)
    system = example("annex1-interface")["host"]["system_name"]
    token = create_system_token(catalog, agency="379010000A", connection_id=application)
    users = [{"name": "王小明", "account": "tp-wang"}, {"name": "林𡘙華", "account": "tp-lin"},
             {"name": "李小華", "account": "tp-lee"}, *extra_users]
    events = [{"event_id": f"e{n}", "at": f"2026-11-0{n + 2}T10:00:00+08:00", "system": system, "user": user,
               "subject": {"business_id": "22099131"}, "purpose": "營業稅籍查核", "case_no": f"案{n}"}
              for n, user in enumerate(users)]
    assert client.post("/api/v1/query-events", json=events,
                       headers={"Authorization": f"Bearer {token}"}).json["accepted"] == len(users)
    clock.at = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
    return application, system


def _people(catalog):
    """陳美玲 the 查核人員 (auditor), 李小華 and 王小明 queriers, an administrator; their own tokens."""
    create_user(catalog, username="mei", password=PASSWORD, agency="379010000A", role="auditor", full_name="陳美玲",
                email="mei@example.tw", system_account="tp-mei")
    create_user(catalog, username="lee", password=PASSWORD, agency="379010000A", role="querier", full_name="李小華",
                email="lee@example.tw", system_account="tp-lee")
    create_user(catalog, username="wang", password=PASSWORD, agency="379010000A", role="querier",
                full_name="王小明", system_account="tp-wang")
    create_user(catalog, username="lin", password=PASSWORD, agency="379010000A", role="staff", full_name="林𡘙華",
                system_account="tp-lin")
    create_user(catalog, username="root", password=PASSWORD, agency="379010000A", role="admin")
    return {name: {"Authorization": f"Bearer {create_token(catalog, agency='', role='staff', username=name)}"}
            for name in ("mei", "lee", "wang", "lin", "root")}


def _independence_refused(catalog, clock) -> None:
    """The agency's own rule, set to refuse: its 查核人員 is not among the month's queriers."""
    found = catalog.agency_profile("379010000A")
    data = dict(found.data) if found else {"name": "臺北市稅捐稽徵處"}
    catalog.set_agency_profile("379010000A", {**data, "policies": {"reviewer_not_querier": "refuse"}}, by="test",
                               now=clock.now())


RULE = "依本機關之設定「附件5 之查核人員不得為當月之查詢人員」"


def test_the_review_from_flag_to_signed_register_through_the_api(client, catalog, example, clock, described):
    application, system = _month_of_events(client, catalog, example, clock)
    as_ = _people(catalog)
    base = f"/api/v1/query-logs/{system}"

    _independence_refused(catalog, clock)
    queried = client.put(f"{base}/reviewer?agency=379010000A", json={"username": "lin"}, headers=as_["root"])
    assert queried.status_code == 400 and RULE in queried.json["error"]["message"]  # a querier of November
    assert client.put(f"{base}/reviewer", json={"username": "mei"}, headers=as_["lin"]).status_code == 403
    assigned = client.put(f"{base}/reviewer?agency=379010000A", json={"username": "mei"}, headers=as_["root"])
    assert assigned.json["username"] == "mei"

    early = client.post(f"{base}/2026-11/review", json={"result": "normal"}, headers=as_["mei"])
    assert early.status_code == 400 and "close" in early.json["error"]["message"]
    assert client.post(f"{base}/2026-11/close", headers=as_["mei"]).status_code == 201
    flag = f"{base}/2026-11/flags/e2/unapproved-user"
    assert client.post(f"{flag}/request", json={"note": "請說明"}, headers=as_["lin"]).status_code == 403  # not his
    undecided = client.post(f"{base}/2026-11/review", json={"result": "abnormal", "explanation": "x"},
                            headers=as_["mei"])
    assert undecided.status_code == 400 and undecided.json["error"]["field"] == "flags"

    asked = client.post(f"{flag}/request", json={"note": "請說明 11/04 查詢之業務依據。"}, headers=as_["mei"])
    assert asked.status_code == 200 and asked.json["state"] == "requested" and asked.json["querier"] == "tp-lee"
    # The querier sees his own request and nothing else; another querier sees none; neither reads the month.
    mine = described.check("get", "/my-queries", client.get("/api/v1/my-queries", headers=as_["lee"]))["requests"]
    assert [(r["event_id"], r["state"]) for r in mine] == [("e2", "requested")]
    assert client.get("/api/v1/my-queries", headers=as_["wang"]).json["requests"] == []
    assert client.get(f"{base}/2026-11", headers=as_["lee"]).status_code == 403
    assert client.post(f"{flag}/answer", json={"answer": "冒名"}, headers=as_["wang"]).status_code == 404
    empty = client.post(f"{flag}/answer", json={"answer": "  "}, headers=as_["lee"])
    assert empty.status_code == 400 and empty.json["error"]["field"] == "answer"
    answer = "協助同仁辦理陳情案查詢，未知須先申請為使用者。"
    assert client.post(f"{flag}/answer", json={"answer": answer}, headers=as_["lee"]).json["state"] == "answered"

    bare = client.post(f"{flag}/decide", json={"verdict": "violation"}, headers=as_["mei"])
    assert bare.status_code == 400 and bare.json["error"]["field"] == "note"  # a 違規 says why
    judged = client.post(f"{flag}/decide", json={"verdict": "violation", "note": "非核准使用者查詢，已停權。"},
                         headers=as_["mei"])
    assert judged.json["state"] == "violation"
    month = client.get(f"{base}/2026-11", headers=as_["mei"]).json
    assert month["reviewer"] == "mei" and {(f["event_id"], f["kind"], f["state"]) for f in month["flags"]} == {
        ("e2", "unapproved-user", "violation")}

    normal = client.post(f"{base}/2026-11/review", json={"result": "normal", "reviewed_on": "115/12/02"},
                         headers=as_["mei"])
    assert normal.status_code == 400 and "有異常" in normal.json["error"]["message"]
    signed = client.post(f"{base}/2026-11/review", headers=as_["mei"], json={
        "result": "abnormal", "explanation": "李小華非核准使用者，已停權並補申請。", "reviewed_on": "115/12/02",
        "reviewer": {"name": "冒名者", "title": "政風室專員"}})
    assert signed.status_code == 201 and signed.json["entries"] == 3, signed.json
    described.check("post", f"{base}/2026-11/review", signed)
    record = client.get(f"/api/v1/records/{signed.json['record_id']}", headers=as_["mei"]).json
    entries = record["input"]["entries"]
    assert [e["user"]["account"] for e in entries] == ["tp-wang", "tp-lin", "tp-lee"]  # every event once
    assert entries[2]["explanation"] == answer and "違規" in entries[2]["note"]
    assert record["input"]["review"]["reviewer"] == {"name": "陳美玲", "title": "政風室專員", "account": "tp-mei",
                                                     "email": "mei@example.tw", "phone": ""}
    assert record["input"]["related_record"] == application
    assert client.get(f"{base}/2026-11", headers=as_["mei"]).json["state"] == "signed"
    late = client.post(f"{flag}/answer", json={"answer": "補充"}, headers=as_["lee"])
    assert late.status_code == 409


def test_a_reviewer_who_queried_that_month_is_refused_where_the_agency_says_so(client, catalog, example, clock):
    _, system = _month_of_events(client, catalog, example, clock,
                                 extra_users=[{"name": "陳美玲", "account": "tp-mei"}])
    as_ = _people(catalog)
    _independence_refused(catalog, clock)
    catalog.assign_query_reviewer(agency="379010000A", system=system, username="mei", by="t", now=clock.now())
    assert client.post(f"/api/v1/query-logs/{system}/2026-11/close", headers=as_["mei"]).status_code == 201
    for step in (client.post(f"/api/v1/query-logs/{system}/2026-11/flags/e2/unapproved-user/request",
                             json={}, headers=as_["mei"]),
                 client.post(f"/api/v1/query-logs/{system}/2026-11/review", json={"result": "abnormal",
                             "explanation": "x"}, headers=as_["mei"])):
        assert step.status_code == 403
        assert RULE in step.json["error"]["message"]


def _sign_in(client, username):
    login = client.get("/login").data.decode()
    client.post("/login", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1], "username": username,
                                "password": PASSWORD})
    page = client.get("/my-queries" if username in ("lee", "wang") else "/query-logs").data.decode()
    return re.search(r'name="csrf" value="([^"]+)"', page)[1]


def test_the_pages_ask_answer_judge_and_sign_off_with_errors_beside_the_field(client, app, catalog, example, clock):
    _, system = _month_of_events(client, catalog, example, clock)
    _people(catalog)
    catalog.assign_query_reviewer(agency="379010000A", system=system, username="mei", by="t", now=clock.now())
    csrf = _sign_in(client, "mei")
    page = f"/query-logs/{system}/2026-11"
    month = client.get(page).data.decode()
    listed = month[month.index("查詢紀錄（有標記者在前）"):]
    assert "陳美玲" in month and listed.index("tp-lee") < listed.index("tp-wang")  # the flagged query first
    assert "非核准使用者：" in listed and "[unapproved-user]" not in listed
    only_repeats = client.get(f"{page}?show=repeat").data.decode()
    assert "0 筆" in only_repeats and "3 筆" in month  # the filter by kind
    assert client.post(page, data={"csrf": csrf, "action": "close"}).status_code == 303
    flag = {"csrf": csrf, "event_id": "e2", "kind": "unapproved-user"}
    refused = client.post(page, data={**flag, "action": "violation", "note": ""})
    html = refused.data.decode()
    assert refused.status_code == 400 and 'class="field-error"' in html and "請填寫查核意見" in html
    assert 'href="#flag-e2-unapproved-user"' in html  # the summary links to the flag
    assert client.post(page, data={**flag, "action": "request", "note": "請說明"}).status_code == 303
    client.post("/logout", data={"csrf": csrf})

    # The querier's page: his own request only; the month's page is not his.
    with app.test_client() as querier:
        csrf = _sign_in(querier, "lee")
        own = querier.get("/my-queries").data.decode()
        assert "查詢編號 e2" in own and "請說明" in own and "查詢編號 e0" not in own and "tp-wang" not in own
        assert querier.get(page).status_code == 403 and querier.get("/query-logs").status_code == 403
        assert querier.get("/records").headers["Location"].endswith("/my-queries")  # where sign-in lands
        assert querier.post("/my-queries", data={"csrf": csrf, "system": system, "month": "2026-11",
                                                 "event_id": "e2", "kind": "unapproved-user",
                                                 "answer": "協助辦理陳情案。"}).status_code == 303
    with app.test_client() as other:
        _sign_in(other, "wang")
        assert "查詢編號 e2" not in other.get("/my-queries").data.decode()

    with app.test_client() as reviewer:
        csrf = _sign_in(reviewer, "mei")
        assert "協助辦理陳情案。" in reviewer.get(page).data.decode()
        assert reviewer.post(page, data={"csrf": csrf, "event_id": "e2", "kind": "unapproved-user",
                                         "action": "explained", "note": ""}).status_code == 303  # answered: no note
        passed_over = reviewer.post(page, data={"csrf": csrf, "action": "sign-off", "result": "normal",
                                                "reviewed_on": "115/12/02"})
        assert passed_over.status_code == 422  # 李小華 is no 使用者 of the 附件1: not a 無異常 month
        assert "查詢紀錄／第 3 列／查詢人員：李小華" in passed_over.data.decode()
        signed = reviewer.post(page, data={"csrf": csrf, "action": "sign-off", "result": "abnormal",
                                           "explanation": "李小華非核准使用者，已請其補申請。",
                                           "reviewed_on": "115/12/02"})
        assert signed.status_code == 303 and "/records/rec_" in signed.headers["Location"]
        assert "已簽核" in reviewer.get(page).data.decode()


@pytest.mark.parametrize("who", ["lin", "root"])
def test_only_the_assigned_reviewer_signs_off(client, catalog, example, clock, who):
    _, system = _month_of_events(client, catalog, example, clock)
    as_ = _people(catalog)
    catalog.assign_query_reviewer(agency="379010000A", system=system, username="mei", by="t", now=clock.now())
    client.post(f"/api/v1/query-logs/{system}/2026-11/close", headers=as_["mei"])
    refused = client.post(f"/api/v1/query-logs/{system}/2026-11/review?agency=379010000A",
                          json={"result": "abnormal", "explanation": "x"}, headers=as_[who])
    assert refused.status_code == 403 and "mei" in refused.json["error"]["message"]


def test_a_person_token_stops_with_its_person(client, catalog, clock):
    from forms_service.access.users import lock

    as_ = _people(catalog)
    assert client.get("/api/v1/my-queries", headers=as_["lee"]).status_code == 200
    lock(catalog, "lee", now=clock.now())
    assert client.get("/api/v1/my-queries", headers=as_["lee"]).status_code == 401
    assert client.get("/api/v1/records", headers=as_["wang"]).status_code == 403  # a querier reads nothing else
    json.dumps(as_)  # the headers are plain data


def test_a_reviewer_whose_account_the_system_spells_otherwise_is_refused_his_own_queries(client, catalog, example,
                                                                                          clock):
    """The business system reports 陳美玲's queries under ``ＴＰ－Ｍｅｉ`` (and her nickname) while her
    account is ``tp-mei``: she is still their querier — refused as their 查核人員."""
    _, system = _month_of_events(client, catalog, example, clock,
                                 extra_users=[{"name": "阿玲", "account": "ＴＰ－Ｍｅｉ "}])
    as_ = _people(catalog)
    _independence_refused(catalog, clock)
    assigned = client.put(f"/api/v1/query-logs/{system}/reviewer?agency=379010000A", headers=as_["root"],
                          json={"username": "mei"})
    assert assigned.status_code == 400 and assigned.json["error"]["field"] == "username", assigned.json
    catalog.assign_query_reviewer(agency="379010000A", system=system, username="mei", by="t", now=clock.now())
    assert client.post(f"/api/v1/query-logs/{system}/2026-11/close", headers=as_["mei"]).status_code == 201
    refused = client.post(f"/api/v1/query-logs/{system}/2026-11/review", json={"result": "abnormal",
                          "explanation": "x"}, headers=as_["mei"])
    assert refused.status_code == 403 and RULE in refused.json["error"]["message"]
