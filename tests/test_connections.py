"""Connections (介接案) read from their records, on a moving clock: a 附件1 roots one, its 附件2
(countersigned: 使用中), 附件4 and 終止 join it; the due list holds a renewal 90 days before the
使用期限 ends and a yearly review 12 months after the last one, nothing before and nothing after
termination; a terminated connection takes no query dated after its 終止日期."""

from __future__ import annotations

import re
from datetime import datetime

from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.connections.tokens import create_system_token
from forms_service.taiwan import add_months
from tests.conftest import load_example

PASSWORD = "correct horse battery"


def at(day: str):
    return datetime.fromisoformat(day + "T02:00:00+00:00")


def _due(client, token):
    return [(i["kind"], i["due_on"]) for i in client.get("/api/v1/due", headers=token).json["items"]
            if i["kind"] in ("renewal", "yearly-review")]


def agree(client, catalog, root: str, applicant: dict) -> None:
    """The connection's 附件2 filed and countersigned, and the 資料使用單位 acknowledging it."""
    provider = {"Authorization": f"Bearer {create_token(catalog, agency='A15000000E', role='provider')}"}
    unit = {"Authorization": f"Bearer {create_token(catalog, agency='379010000A', role='staff')}"}
    agreement = client.post("/api/v1/forms/annex2-agreement/records", headers=applicant,
                            json={**load_example("annex2-agreement"), "related_record": root}).json["record_id"]
    assert client.post(f"/api/v1/records/{agreement}/countersign", headers=provider).status_code == 201
    assert client.post(f"/api/v1/connections/{root}/acknowledge", headers=unit).json["agreed"] is True


def test_a_connection_over_its_life(client, catalog, clock, fake_components):
    staff = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    provider = {"Authorization": f"Bearer {create_token(catalog, agency='A15000000E', role='provider')}"}
    stranger = {"Authorization": f"Bearer {create_token(catalog, agency='395000000A', role='staff')}"}

    clock.at = at("2026-01-05")
    root = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                       headers=staff).json["record_id"]
    found = client.get(f"/api/v1/connections/{root}", headers=staff).json
    assert found["state"] == "applied" and found["period"] == {"start": "2026-01-01", "end": "2028-12-31"}
    agreement = client.post("/api/v1/forms/annex2-agreement/records", headers=staff,
                            json={**load_example("annex2-agreement"), "related_record": root}).json["record_id"]
    assert client.post(f"/api/v1/records/{agreement}/countersign", headers=provider).status_code == 201
    assert client.get(f"/api/v1/connections/{root}", headers=staff).json["state"] == "applied"
    unit_staff = {"Authorization": f"Bearer {create_token(catalog, agency='379010000A', role='staff')}"}
    acknowledged = client.post(f"/api/v1/connections/{root}/acknowledge", headers=unit_staff)
    assert acknowledged.status_code == 200 and acknowledged.json["agreed"] is True
    assert client.get(f"/api/v1/connections/{root}", headers=staff).json["state"] == "active"
    assert _due(client, staff) == []  # nothing owed yet

    clock.at = at("2026-12-10")  # the first yearly review is due 12 months after the period began
    assert _due(client, staff) == [("yearly-review", "2027-01-01")]
    clock.at = at("2026-12-15")
    review = client.post("/api/v1/forms/annex4-audit-checklist/records", headers=unit_staff,
                         json={**load_example("annex4-audit-checklist"), "related_record": root})
    assert review.status_code == 201, review.json
    assert _due(client, staff) == []

    clock.at = at("2028-10-05")  # the period ends within 90 days; last year's review was missed
    assert _due(client, staff) == [("yearly-review", "2027-12-15"), ("renewal", "2028-12-31")]  # overdue first
    assert client.get("/api/v1/due", headers=staff).json["items"][0]["connection_id"] == root
    ending = {**load_example("annex1-interface"), "application_type": "termination", "related_record": root,
              "termination": {"effective_on": "117/10/31", "reason": "系統停用，已無使用需求。"}}
    for key in ("users", "period", "purpose", "legal_basis", "data_items", "security", "contacts",
                "basis_documents", "sensitive_personal_data", "exchange_methods"):
        ending.pop(key, None)
    terminated = client.post("/api/v1/forms/annex1-interface/records", json=ending, headers=staff)
    assert terminated.status_code == 201, terminated.json
    assert _due(client, staff) == []  # a terminated connection owes no renewal nor review
    assert client.get(f"/api/v1/connections/{root}", headers=staff).json["state"] == "active"  # until 10-31
    clock.at = at("2028-11-02")
    found = client.get(f"/api/v1/connections/{root}", headers=staff).json
    assert found["state"] == "terminated" and found["terminated_on"] == "2028-10-31"
    assert [r["kind"] for r in found["records"]] == ["application-new", "agreement", "review",
                                                       "application-termination"]
    assert found["records"][1]["countersigned"] is True

    system = load_example("annex1-interface")["host"]["system_name"]
    feed = {"Authorization": f"Bearer {create_system_token(catalog, agency='379010000A', connection_id=root)}"}
    event = {"system": system, "user": {"name": "王小明", "account": "tp-wang"},
             "subject": {"business_id": "22099131"}, "purpose": "營業稅籍查核", "case_no": "案1"}
    posted = client.post("/api/v1/query-events", headers=feed, json=[
        {**event, "event_id": "before", "at": "2028-10-20T10:00:00+08:00"},
        {**event, "event_id": "after", "at": "2028-11-01T10:00:00+08:00"}]).json
    assert posted["accepted"] == 1
    assert posted["refused"][0]["errors"][0]["code"] == "connection_terminated"
    assert "terminated on 2028-10-31" in posted["refused"][0]["errors"][0]["message"]

    # Scoped: the user unit sees it too; another agency neither in the list nor by id.
    unit = {"Authorization": f"Bearer {create_token(catalog, agency='379010000A', role='clerk')}"}
    assert [c["id"] for c in client.get("/api/v1/connections", headers=unit).json["connections"]] == [root]
    assert client.get("/api/v1/connections", headers=stranger).json["connections"] == []
    assert client.get(f"/api/v1/connections/{root}", headers=stranger).status_code == 404


def test_the_connection_page_shows_its_timeline_and_what_it_owes(client, catalog, clock):
    staff = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    clock.at = at("2028-10-05")
    root = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                       headers=staff).json["record_id"]
    agree(client, catalog, root, staff)
    create_user(catalog, username="sara", password=PASSWORD, agency="379000000A", role="staff")
    login = client.get("/login").data.decode()
    client.post("/login", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1], "username": "sara",
                                "password": PASSWORD})
    listed = client.get("/connections").data.decode()
    assert "稅務資料整合查詢系統" in listed and "使用中" in listed
    page = client.get(f"/connections/{root}").data.decode()
    assert "附件1 新申請" in page and "使用期限" in page and "117/12/31" in page
    assert "請申請續用或終止" in page  # the renewal, within 90 days
    tasks = page[page.index("此介接案的表單"):page.index("</ol>", page.index("此介接案的表單"))]
    assert "附件2 商工資料使用安全約定書" in tasks and "已會簽" in tasks and "附件3 使用商工資料作業要求" in tasks
    assert f">{root}<" not in page  # records are named by their titles, not their ids
    renewal = re.search(r'href="([^"]+)">申請續用', page)[1].replace("&amp;", "&")
    assert f"from={root}" in renewal and "type=renewal" in renewal
    form = client.get(renewal).data.decode()  # the 附件1 pre-filled as its 續用, the period continued
    assert 'value="renewal" checked' in form and root in form
    assert "118/01/01" in form  # the new 使用期限 starts the day after the old one ends
    assert client.get("/connections/rec_nonexistent").status_code == 404


def test_months_are_added_as_calendars_count_them():
    from datetime import date

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 15), 12) == date(2028, 12, 15)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)


def test_the_provider_schedules_an_audit_a_month_ahead_and_the_agency_owes_its_answers(client, catalog, clock,
                                                                                    fake_components):
    import dataclasses

    from aiosmtpd.controller import Controller

    from storage.seaweed import free_port
    from tests.test_query_due import Inbox

    provider = {"Authorization": f"Bearer {create_token(catalog, agency='A15000000E', role='provider')}"}
    unit = {"Authorization": f"Bearer {create_token(catalog, agency='379010000A', role='staff')}"}
    create_user(catalog, username="tom", password=PASSWORD, agency="379010000A", role="staff",
                email="tom@example.tw")
    clock.at = at("2026-12-01")
    early = client.post("/api/v1/inspections", headers=provider,
                        json={"agency": "379010000A", "audit_on": "115/12/20", "team": "王稽核"})
    assert early.status_code == 400 and early.json["error"]["field"] == "audit_on"
    assert "2027-01-01" in early.json["error"]["message"]  # the earliest allowed, a month ahead
    assert client.post("/api/v1/inspections", headers=unit, json={
        "agency": "379010000A", "audit_on": "116/02/15", "team": "王稽核"}).status_code == 403

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        settings = dataclasses.replace(fake_components.settings, smtp_host="127.0.0.1", smtp_port=smtp.port,
                                       smtp_from="forms@example.tw")
        client.application.extensions["forms"] = fake_components.sharing(settings=settings)
        scheduled = client.post("/api/v1/inspections", headers=provider, json={
            "agency": "379010000A", "audit_on": "116/02/15", "team": "商業發展署 王稽核、李專員"})
    finally:
        smtp.stop()
    assert scheduled.status_code == 201, scheduled.json
    # Five working days before Monday 2027-02-15, across 春節 (2/4–2/10 off): Monday 2027-02-01.
    assert scheduled.json["answers_due_on"] == "2027-02-01"
    assert scheduled.json["notified"] == ["tom@example.tw"]
    assert "中華民國116年2月1日" in inbox.messages[0].get_content() and "稽核通知" in inbox.messages[0]["Subject"]

    owed = [(i["kind"], i["due_on"]) for i in client.get("/api/v1/due", headers=unit).json["items"]]
    assert owed == [("audit-answers", "2027-02-01")]
    clock.at = at("2027-01-20")
    answered = client.post("/api/v1/forms/annex4-audit-checklist/records", headers=unit,
                           json=load_example("annex4-audit-checklist"))
    assert answered.status_code == 201, answered.json
    assert client.get("/api/v1/due", headers=unit).json["items"] == []
    assert [i["agency"] for i in client.get("/api/v1/inspections", headers=unit).json["inspections"]] == [
        "379010000A"]


def test_the_audit_page_puts_a_too_early_date_beside_its_field(client, catalog, clock):
    create_user(catalog, username="paul", password=PASSWORD, agency="A15000000E", role="provider")
    clock.at = at("2026-12-01")
    login = client.get("/login").data.decode()
    client.post("/login", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1], "username": "paul",
                                "password": PASSWORD})
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/inspections").data.decode())[1]
    refused = client.post("/inspections", data={"csrf": csrf, "agency": "379010000A", "audit_on": "115/12/20",
                                                "team": "王稽核"})
    html = refused.data.decode()
    assert refused.status_code == 400 and 'id="audit_on-error"' in html and 'href="#audit_on"' in html
    assert 'value="王稽核"' in html  # what was typed is kept
    done = client.post("/inspections", data={"csrf": csrf, "agency": "379010000A", "audit_on": "116/02/15",
                                             "team": "王稽核"})
    assert done.status_code == 200 and "116/02/01" in done.data.decode()


def test_the_provider_stops_a_connection_on_its_page_errors_beside_the_fields(client, catalog, clock):
    staff = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    clock.at = at("2026-02-02")
    root = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                       headers=staff).json["record_id"]
    create_user(catalog, username="paul", password=PASSWORD, agency="A15000000E", role="provider")
    login = client.get("/login").data.decode()
    client.post("/login", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1], "username": "paul",
                                "password": PASSWORD})
    page = client.get(f"/connections/{root}").data.decode()
    assert "終止連線（資料提供機關函文）" in page and 'for="letter"' in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    form = {"csrf": csrf, "letter": "經商字第11500012340號", "letter_date": "115/02/02", "effective_on": "115/01/20",
            "reason": "查核發現目的外利用"}
    refused = client.post(f"/connections/{root}/termination", data=form)
    html = refused.data.decode()
    assert refused.status_code == 400 and 'id="effective_on-error"' in html and 'href="#effective_on"' in html
    assert 'value="經商字第11500012340號"' in html  # what was typed is kept
    done = client.post(f"/connections/{root}/termination", data={**form, "effective_on": "115/02/10"},
                       follow_redirects=True)
    assert done.status_code == 200 and "已終止連線" in done.data.decode()
    assert "填寫清除紀錄" not in done.data.decode()  # the agency's staff file the purge record, not the provider
    record_page = client.get(f"/records/{root}").data.decode()
    assert f'href="/connections/{root}"' in record_page  # a record names its connection


def test_answers_after_their_due_date_are_taken_and_shown_late(client, catalog, clock):
    """七(四)2 sets a due date, not a bar: the agency's answers after it are taken, marked late;
    the date counts the settings' make-up working days (補行上班) as working days."""
    from forms_service.forms.annex4_audit_checklist import STANDARD_ITEMS
    from forms_service.taiwan import use_make_up_working_days, working_days_before

    provider = {"Authorization": f"Bearer {create_token(catalog, agency='A15000000E', role='provider')}"}
    unit = {"Authorization": f"Bearer {create_token(catalog, agency='379010000A', role='staff')}"}
    clock.at = at("2026-12-01")
    scheduled = client.post("/api/v1/inspections", headers=provider, json={
        "agency": "379010000A", "audit_on": "116/02/15", "team": "王稽核"}).json
    assert scheduled["answers_due_on"] == "2027-02-01" and scheduled["answers_late"] is False
    clock.at = at("2027-02-05")  # four days late
    base = f"/api/v1/inspections/{scheduled['id']}"
    for item in STANDARD_ITEMS:
        answered = client.put(f"{base}/items/{item}/answer", headers=unit, json={"self_result": "conform"})
        assert answered.status_code == 200, answered.json
    sent = client.post(f"{base}/answers", headers=unit, json={"filled_by": "王小明", "filled_title": "主任"})
    assert sent.status_code == 200, sent.json
    assert client.get(base, headers=unit).json["answers_late"] is True
    clock.at = at("2027-02-15")  # the audit has begun: the agency's column is closed
    closed = client.put(f"{base}/items/1/answer", headers=unit, json={"self_result": "conform"})
    assert closed.status_code == 400 and "稽核已於" in closed.json["error"]["message"]

    # A make-up working day named in the settings counts: Saturday 2027-02-13 worked moves the date.
    from datetime import date

    try:
        use_make_up_working_days((date(2027, 2, 13),))
        assert working_days_before(date(2027, 2, 15), 5) == date(2027, 2, 2)
    finally:
        use_make_up_working_days(())
    assert working_days_before(date(2027, 2, 15), 5) == date(2027, 2, 1)


def test_security_testing_is_reminded_at_the_agencys_own_interval_and_cited_on_its_audit(client, catalog, clock):
    """六(一)2(5) says 定期 only: no reminder until the 資料使用單位 sets its interval; then one is due
    that many months after the last 安全檢測紀錄 (or the 使用期限's start), and its newest record is
    what the 附件4 item on 弱點管理 points to."""
    from forms_service.connections.audit_work import checklist

    staff = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    unit = {"Authorization": f"Bearer {create_token(catalog, agency='379010000A', role='staff')}"}
    provider = {"Authorization": f"Bearer {create_token(catalog, agency='A15000000E', role='provider')}"}

    def tests_due():
        return [i["due_on"] for i in client.get("/api/v1/due", headers=unit).json["items"]
                if i["kind"] == "security-test"]

    clock.at = at("2026-01-05")
    root = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                       headers=staff).json["record_id"]
    agree(client, catalog, root, staff)
    clock.at = at("2026-06-20")
    assert tests_due() == []  # the agency has set no interval: the regulation names none
    catalog.set_agency_profile("379010000A", {"name": "臺北市稅捐稽徵處", "security_test_months": 6},
                               by="admin", now=clock.now())
    assert tests_due() == ["2026-07-01"]  # six months after the 使用期限 began
    filed = client.post("/api/v1/forms/security-test/records", headers=unit,
                        json={**load_example("security-test"), "related_record": root})
    assert filed.status_code == 201, filed.json
    assert tests_due() == []
    clock.at = at("2026-12-10")
    assert tests_due() == ["2026-12-20"]  # six months after the last one was filed

    scheduled = client.post("/api/v1/inspections", headers=provider, json={
        "agency": "379010000A", "audit_on": "116/02/15", "team": "王稽核"})
    assert scheduled.status_code == 201, scheduled.json
    inspection = catalog.inspection(scheduled.json["id"])
    lines, _ = checklist(catalog, inspection)
    item = next(line for line in lines if line.no == 17)
    assert item.basis.startswith("最近之安全檢測紀錄：115/10/20（弱點掃描），發現 3 項，1 項待修補")
    assert filed.json["record_id"] in item.basis
