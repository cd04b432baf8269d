"""Nothing forgotten: the monthly check's due items — a month without its signed 附件5, a
查調者說明 not given, a system that went quiet — listed by the API, the page and ``forms-service
due``, and mailed once a day to the people concerned through a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import dataclasses
import email
import json
from datetime import date, datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller

from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.querylog.values import NewQueryEvent, QueryFlagReview, QueryMonth
from storage.seaweed import free_port

TAIPEI = timezone(timedelta(hours=8))
AGENCY = "379010000A"


def _event(system: str, event_id: str, at: datetime, account: str = "tp-wang") -> NewQueryEvent:
    return NewQueryEvent(agency=AGENCY, system=system, event_id=event_id, at=at,
                         data={"user": {"name": account, "account": account}})


@pytest.fixture
def duties(catalog, clock):
    """稅務系統 reports in October and November, 地價系統 in October only (then nothing); 稅務系統 has
    its 查核人員 mei; October of 稅務系統 is signed off; lee owes an explanation asked on 12-03."""
    create_user(catalog, username="mei", password="correct horse battery", agency=AGENCY, role="auditor",
                full_name="陳美玲", email="mei@example.tw")
    create_user(catalog, username="lee", password="correct horse battery", agency=AGENCY, role="querier",
                full_name="李小華", email="lee@example.tw", system_account="tp-lee")
    create_user(catalog, username="wang", password="correct horse battery", agency=AGENCY, role="querier")
    create_user(catalog, username="paul", password="correct horse battery", agency="A15000000E", role="provider",
                email="paul@example.tw")
    oct_, nov = datetime(2026, 10, 6, 10, tzinfo=TAIPEI), datetime(2026, 11, 6, 10, tzinfo=TAIPEI)
    catalog.add_query_events([_event("稅務系統", "t1", oct_), _event("稅務系統", "t2", nov, "tp-lee"),
                              _event("地價系統", "d1", oct_)], by="t", now=nov)
    catalog.assign_query_reviewer(agency=AGENCY, system="稅務系統", username="mei", by="t", now=nov)
    catalog.close_query_month(QueryMonth(agency=AGENCY, system="稅務系統", month="2026-10", count=1, object_key="k",
                                         object_version="v", sha256="0" * 64, closed_at=nov, closed_by="t",
                                         record_id="rec_oct"))
    catalog.save_query_flag_review(QueryFlagReview(
        agency=AGENCY, system="稅務系統", month="2026-11", event_id="t2", kind="unapproved-user", sentence="非使用者",
        querier_account="tp-lee", state="requested", requested_by="user:mei",
        requested_at=datetime(2026, 12, 3, 2, tzinfo=timezone.utc)))
    clock.at = datetime(2026, 12, 20, 2, 0, tzinfo=timezone.utc)


def test_each_duty_is_listed_once_overdue_first(fake_components, duties):
    items = fake_components.due_items()
    found = [(i.kind, i.system, i.month, i.due_on.isoformat()) for i in items]
    assert sorted(found) == sorted([
        ("no-events", "地價系統", "2026-11", "2026-12-05"),
        ("explanation", "稅務系統", "2026-11", "2026-12-10"),
        ("monthly-review", "稅務系統", "2026-11", "2026-12-15"),
        ("monthly-review", "地價系統", "2026-10", "2026-11-15"),
    ])
    assert [i.due_on for i in items] == sorted(i.due_on for i in items)  # all overdue: oldest first
    assert all(i.overdue(date(2026, 12, 20)) for i in items)
    by_kind = {(i.kind, i.system): i for i in items}
    assert by_kind[("monthly-review", "稅務系統")].remind == ("mei", "paul")  # overdue: the provider too
    assert by_kind[("explanation", "稅務系統")].remind == ("lee", "paul")
    assert "尚未指派查核人員" in by_kind[("monthly-review", "地價系統")].title
    assert fake_components.due_items(agency="A15000000E") == []


def test_what_is_not_yet_due_is_left_out_by_within(fake_components, duties, clock):
    clock.at = datetime(2026, 12, 8, 2, 0, tzinfo=timezone.utc)
    items = fake_components.due_items(within=3)
    soon = {(i.kind, i.system) for i in items}
    assert [i.remind for i in items if i.kind == "explanation"] == [("lee",)]  # not overdue: not the provider's
    assert ("explanation", "稅務系統") in soon  # due 12-10
    assert ("monthly-review", "稅務系統") not in soon  # due 12-15
    assert ("monthly-review", "稅務系統") in {(i.kind, i.system) for i in fake_components.due_items(within=7)}


def test_the_api_and_the_page_show_the_agency_its_own(client, catalog, duties):
    token = create_token(catalog, agency=AGENCY, role="auditor")
    items = client.get("/api/v1/due", headers={"Authorization": f"Bearer {token}"}).json["items"]
    assert {i["kind"] for i in items} == {"no-events", "explanation", "monthly-review"}
    assert set(items[0]) >= {"kind", "connection_id", "record_id", "due_on", "title"}
    other = create_token(catalog, agency="A15000000E", role="auditor")
    assert client.get("/api/v1/due", headers={"Authorization": f"Bearer {other}"}).json["items"] == []
    bad = client.get("/api/v1/due?within=soon", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "within"


def test_the_cli_lists_them_and_exits_1_when_something_is_overdue(runner):
    from forms_service.components import open_catalog
    from forms_service.settings import Settings

    empty = runner("due")
    assert empty.exit_code == 0 and "0 item(s), 0 overdue" in empty.output
    catalog = open_catalog(Settings.load(environ={}, data_dir=runner.data_dir))
    long_ago = datetime(2025, 3, 5, 10, tzinfo=TAIPEI)  # within no window of finished months now
    catalog.add_query_events([_event("稅務系統", "old", long_ago)], by="t", now=long_ago)
    catalog.assign_query_reviewer(agency=AGENCY, system="稅務系統", username="mei", by="t", now=long_ago)
    catalog.close()
    listed = runner("due", "--agency", AGENCY)
    assert listed.exit_code == 1 and "OVERDUE" in listed.output and "no-events" in listed.output
    lines = [json.loads(line) for line in runner("due", "--json").output.splitlines()]
    assert {line["kind"] for line in lines} == {"no-events"} and len(lines) == 3  # the last three months
    assert runner("due", "--agency", "A15000000E").exit_code == 0
    assert "overdue first" in runner("due", "--help").output


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def _with_smtp(components, port: int):
    settings = dataclasses.replace(components.settings, smtp_host="127.0.0.1", smtp_port=port,
                                   smtp_from="forms@example.tw", reminder_hour=8)
    return components.sharing(settings=settings)


def test_reminders_go_once_a_day_to_the_people_concerned(fake_components, duties, smtp_server, clock):
    controller, inbox = smtp_server
    components = _with_smtp(fake_components, controller.port)
    clock.at = datetime(2026, 12, 20, 23, 0, tzinfo=timezone.utc)  # 07:00 in Taipei: before the hour
    assert components.send_due_reminders() is None and inbox.messages == []
    clock.at = datetime(2026, 12, 21, 1, 0, tzinfo=timezone.utc)  # 09:00
    sent = components.send_due_reminders()
    assert sorted(sent.sent) == ["lee@example.tw", "mei@example.tw", "paul@example.tw"]
    mails = {m["To"]: m for m in inbox.messages}
    mei = mails["mei@example.tw"].get_content()
    assert "稅務系統 2026-11 查詢紀錄待查核簽核" in mei and "已逾期" in mei
    assert "地價系統" not in mei  # not his system
    lee = mails["lee@example.tw"].get_content()
    assert "待查調者說明" in lee and "稅務系統" in lee and "查核簽核" not in lee
    assert mails["mei@example.tw"]["From"] == "forms@example.tw" and "待辦" in mails["mei@example.tw"]["Subject"]
    provider = mails["paul@example.tw"].get_content()  # the provider hears of what is overdue, every agency's
    assert "稅務系統 2026-11" in provider and "地價系統 2026-10" in provider
    again = components.send_due_reminders()
    assert again.sent == [] and sorted(again.already) == ["lee@example.tw", "mei@example.tw", "paul@example.tw"]
    assert len(inbox.messages) == 3  # once a day


def test_a_mail_server_down_is_a_clear_failure_and_the_mail_goes_later(fake_components, duties, clock):
    components = _with_smtp(fake_components, free_port())  # nobody listens there
    clock.at = datetime(2026, 12, 21, 1, 0, tzinfo=timezone.utc)
    failed = components.send_due_reminders()
    assert failed.sent == [] and len(failed.failed) == 3
    assert "could not be sent through 127.0.0.1" in failed.failed[0]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=components.settings.smtp_port)
    controller.start()
    try:
        assert sorted(components.send_due_reminders().sent) == ["lee@example.tw", "mei@example.tw",
                                                                  "paul@example.tw"]
    finally:
        controller.stop()
    json.dumps([m["To"] for m in inbox.messages])


def test_the_cli_assigns_a_systems_reviewer_and_warns_of_or_refuses_a_querier(runner):
    from forms_service.components import open_catalog
    from forms_service.settings import Settings

    created = runner("users", "create", "--username", "mei", "--agency", AGENCY, "--role", "auditor",
                     "--password", "correct horse battery", "--name", "陳美玲", "--account", "tp-mei")
    assert created.exit_code == 0
    runner("users", "create", "--username", "lin", "--agency", AGENCY, "--role", "staff",
           "--password", "correct horse battery", "--account", "tp-lin")
    catalog = open_catalog(Settings.load(environ={}, data_dir=runner.data_dir))
    now = datetime.now(timezone.utc)
    catalog.add_query_events([_event("稅務系統", "x1", now, "tp-lin")], by="t", now=now)
    catalog.close()
    assigned = runner("query-log", "assign", "--agency", AGENCY, "--system", "稅務系統", "--user", "mei")
    assert assigned.exit_code == 0 and "查核人員 mei" in assigned.output
    # lin queried the system: by default the agency's own rule warns; where it refuses, he is refused
    warned = runner("query-log", "assign", "--agency", AGENCY, "--system", "稅務系統", "--user", "lin")
    assert warned.exit_code == 0 and "warning:" in warned.output and "本機關之設定" in warned.output
    catalog = open_catalog(Settings.load(environ={}, data_dir=runner.data_dir))
    catalog.set_agency_profile(AGENCY, {"name": "臺北市稅捐稽徵處", "policies": {"reviewer_not_querier": "refuse"}},
                               by="t", now=now)
    catalog.close()
    refused = runner("query-log", "assign", "--agency", AGENCY, "--system", "稅務系統", "--user", "lin")
    assert refused.exit_code == 2 and "依本機關之設定「附件5 之查核人員不得為當月之查詢人員」" in refused.output
    unknown = runner("query-log", "assign", "--agency", AGENCY, "--system", "稅務系統", "--user", "nobody")
    assert unknown.exit_code == 2 and "no user 'nobody'" in unknown.output
