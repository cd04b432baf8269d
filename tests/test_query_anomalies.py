"""Anomaly flags of the monthly query check: a month of clean traffic with one planted anomaly of
every kind — each planted one flagged with its kind, no clean one flagged."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta, timezone

import pytest

from forms_service.catalog import QueryEvent
from forms_service.querylog.anomalies import Connection, Thresholds, flag_month, is_working_day

TAIPEI = timezone(timedelta(hours=8))
CONNECTION = Connection(users=frozenset({"tp-wang", "tp-lin", "tp-chen"}), period_start=date(2026, 1, 1),
                        period_end=date(2026, 11, 20), record_id="rec_x")


def q(event_id: str, at: datetime, account: str = "tp-wang", subject: str = "22099131", case_no: str = "案1",
      purpose: str = "營業稅籍查核") -> QueryEvent:
    return QueryEvent(agency="379010000A", system="稅務系統", event_id=event_id, at=at, id=0, received_at=at,
                      received_by="t", data={"user": {"name": account, "account": account},
                                             "subject": {"business_id": subject}, "purpose": purpose,
                                             "case_no": case_no})


def clean_month() -> list[QueryEvent]:
    """Three approved users, working days of 2026-11 up to the 20th, office hours, cases, varied subjects."""
    events = []
    day = date(2026, 11, 2)
    n = 0
    while day <= date(2026, 11, 20):
        if is_working_day(day):
            for hour in (9, 11, 14, 16):
                for account in ("tp-wang", "tp-lin", "tp-chen"):
                    n += 1
                    events.append(q(f"c{n}", datetime(2026, 11, day.day, hour, n % 50, tzinfo=TAIPEI), account,
                                    subject=f"{10000000 + n}"))
        day += timedelta(days=1)
    return events


PLANTED = {
    "p-weekend": ("off-hours", q("p-weekend", datetime(2026, 11, 7, 10, 0, tzinfo=TAIPEI), subject="s1")),
    "p-night": ("off-hours", q("p-night", datetime(2026, 11, 4, 22, 30, tzinfo=TAIPEI), subject="s2")),
    "p-stranger": ("unapproved-user", q("p-stranger", datetime(2026, 11, 5, 10, 0, tzinfo=TAIPEI), "tp-lee",
                                        subject="s3")),
    "p-late": ("outside-period", q("p-late", datetime(2026, 11, 23, 10, 0, tzinfo=TAIPEI), "tp-lin", subject="s4")),
    "p-nocase": ("no-case", q("p-nocase", datetime(2026, 11, 6, 10, 0, tzinfo=TAIPEI), "tp-chen", subject="s5",
                              case_no="")),
}


def test_every_planted_anomaly_is_flagged_and_no_clean_query():
    repeat = [q(f"p-repeat-{i}", datetime(2026, 11, 9, 10, i, tzinfo=TAIPEI), "tp-lin", subject="53212539")
              for i in range(5)]
    burst = [q(f"p-burst-{i}", datetime(2026, 11, 10, 9, 0, tzinfo=TAIPEI) + timedelta(seconds=30 * i), "tp-chen",
               subject=f"{20000000 + i}") for i in range(80)]
    clean = clean_month()
    events = sorted(clean + [e for _, e in PLANTED.values()] + repeat + burst, key=lambda e: e.at)
    flags = flag_month(events, CONNECTION, Thresholds())
    by_event = {}
    for flag in flags:
        by_event.setdefault(flag.event_id, set()).add(flag.kind)
    for event_id, (kind, _) in PLANTED.items():
        assert kind in by_event.get(event_id, set()), (event_id, kind)
    assert by_event["p-repeat-4"] == {"repeat"}  # the fifth query of one subject by one user
    assert "volume" in by_event["p-burst-0"]
    planted = set(PLANTED) | {e.event_id for e in repeat + burst}
    assert [f for f in flags if f.event_id not in planted] == []  # nothing clean flagged
    assert all(f.sentence for f in flags)


def test_taiwans_holidays_are_not_working_days_and_settings_add_make_up_days():
    assert not is_working_day(date(2026, 10, 9))  # 國慶日 observed on the Friday
    assert not is_working_day(date(2026, 2, 17))  # 春節
    assert is_working_day(date(2026, 11, 2))
    assert is_working_day(date(2026, 11, 7), (date(2026, 11, 7),))  # a make-up working Saturday


def test_after_termination_every_query_is_outside_the_period():
    ended = Connection(users=CONNECTION.users, period_start=date(2026, 1, 1), period_end=date(2028, 12, 31),
                       terminated_on=date(2026, 11, 15))
    flags = flag_month([q("x", datetime(2026, 11, 16, 10, 0, tzinfo=TAIPEI))], ended, Thresholds())
    assert [(f.kind, "ended" in f.sentence) for f in flags] == [("outside-period", True)]


@pytest.mark.parametrize("purposes,flagged", [((), True), (("一般諮詢",), False)])
def test_purposes_that_need_no_case_are_a_setting(purposes, flagged):
    event = q("x", datetime(2026, 11, 16, 10, 0, tzinfo=TAIPEI), case_no="", purpose="一般諮詢")
    flags = flag_month([event], None, Thresholds(no_case_purposes=purposes))
    assert (["no-case"] if flagged else []) == [f.kind for f in flags]


def test_the_month_answers_through_the_api(client, catalog, staff_token, example):
    from forms_service.access.tokens import create_token

    application = client.post("/api/v1/forms/annex1-interface/records", json=example("annex1-interface"),
                              headers={"Authorization": f"Bearer {staff_token}"})
    assert application.status_code == 201
    system = example("annex1-interface")["host"]["system_name"]
    token = create_token(catalog, agency="379010000A", role="system", system=system)
    posted = [{"event_id": "e1", "at": "2026-11-03T10:00:00+08:00", "system": system,
               "user": {"name": "王小明", "account": "tp-wang"}, "subject": {"business_id": "22099131"},
               "purpose": "營業稅籍查核", "case_no": "案1"},
              {"event_id": "e2", "at": "2026-11-07T10:00:00+08:00", "system": system,
               "user": {"name": "李小華", "account": "tp-lee"}, "subject": {"name": "陳大文"},
               "purpose": "營業稅籍查核", "case_no": "案2"}]
    assert client.post("/api/v1/query-events", json=posted,
                       headers={"Authorization": f"Bearer {token}"}).json["accepted"] == 2
    clerk = create_token(catalog, agency="379010000A", role="clerk")
    month = client.get(f"/api/v1/query-logs/{system}/2026-11", headers={"Authorization": f"Bearer {clerk}"}).json
    assert month["count"] == 2 and month["connection"] == application.json["record_id"]
    assert {(f["event_id"], f["kind"]) for f in month["flags"]} == {("e2", "off-hours"), ("e2", "unapproved-user")}


def _month_of_events(client, catalog, example, clock):
    """A 附件1, three of its users' queries in 2026-11 (one unapproved), the clock moved past the month."""
    from forms_service.access.tokens import create_token

    staff = create_token(catalog, agency="379000000A", role="staff")
    application = client.post("/api/v1/forms/annex1-interface/records", json=example("annex1-interface"),
                              headers={"Authorization": f"Bearer {staff}"}).json["record_id"]
    system = example("annex1-interface")["host"]["system_name"]
    token = create_token(catalog, agency="379010000A", role="system", system=system)
    events = [{"event_id": f"e{n}", "at": f"2026-11-0{n + 2}T10:00:00+08:00", "system": system,
               "user": user, "subject": {"business_id": "22099131"}, "purpose": "營業稅籍查核", "case_no": f"案{n}"}
              for n, user in enumerate([{"name": "王小明", "account": "tp-wang"},
                                        {"name": "林𡘙華", "account": "tp-lin"},
                                        {"name": "李小華", "account": "tp-lee"}])]
    assert client.post("/api/v1/query-events", json=events,
                       headers={"Authorization": f"Bearer {token}"}).json["accepted"] == 3
    clock.at = datetime(2026, 12, 2, 2, 0, tzinfo=timezone.utc)
    return application, system, token, events


def test_a_closed_month_is_sealed_takes_no_late_events_and_signs_off_into_a_register(client, catalog, example, clock,
                                                                                      fake_components):
    from forms_service.access.tokens import create_token

    application, system, token, events = _month_of_events(client, catalog, example, clock)
    unit = create_token(catalog, agency="379010000A", role="staff")
    headers = {"Authorization": f"Bearer {unit}"}
    early = client.post(f"/api/v1/query-logs/{system}/2026-12/close", headers=headers)
    assert early.status_code == 400 and "has not ended" in early.json["error"]["message"]
    closed = client.post(f"/api/v1/query-logs/{system}/2026-11/close", headers=headers)
    assert closed.status_code == 201 and closed.json["count"] == 3
    sealed = fake_components.store.get(closed.json["object_key"])
    assert [json.loads(line).get("event_id") for line in sealed.decode().splitlines()[1:]] == ["e0", "e1", "e2"]
    assert fake_components.store.get(closed.json["object_key"] + ".p7s")
    assert client.post(f"/api/v1/query-logs/{system}/2026-11/close", headers=headers).status_code == 409
    late = client.post("/api/v1/query-events", json=[{**events[0], "event_id": "late"}],
                       headers={"Authorization": f"Bearer {token}"}).json
    assert late["accepted"] == 0 and late["refused"][0]["errors"][0]["code"] == "month_closed"

    review = {"result": "normal", "reviewer": {"name": "陳美玲", "title": "政風室專員"}, "reviewed_on": "115/12/02"}
    passed_over = client.post(f"/api/v1/query-logs/{system}/2026-11/review", json=review, headers=headers)
    assert passed_over.status_code == 422  # 李小華 is no 使用者 of the 附件1, and the review says 無異常
    assert "entries[2].user" in [e["path"] for e in passed_over.json["error"]["errors"]]
    querier = client.post(f"/api/v1/query-logs/{system}/2026-11/review", headers=headers, json={
        **review, "result": "abnormal", "explanation": "李小華非核准使用者", "reviewer": {"name": "王小明"}})
    assert querier.status_code == 422 and "review.reviewer" in [e["path"] for e in querier.json["error"]["errors"]]
    signed = client.post(f"/api/v1/query-logs/{system}/2026-11/review", headers=headers, json={
        **review, "result": "abnormal", "explanation": "李小華非核准使用者，已請其說明。"})
    assert signed.status_code == 201 and signed.json["entries"] == 3
    record = client.get(f"/api/v1/records/{signed.json['record_id']}", headers=headers).json
    entries = record["input"]["entries"]
    assert [e["user"]["account"] for e in entries] == ["tp-wang", "tp-lin", "tp-lee"]  # each event once
    assert "unapproved-user" in entries[2]["note"] and record["input"]["related_record"] == application
    month = client.get(f"/api/v1/query-logs/{system}/2026-11", headers=headers).json
    assert month["state"] == "signed"


def test_the_month_page_shows_flagged_queries_first_and_signs_off_with_errors_on_the_page(client, catalog, example,
                                                                                          clock):
    import re

    from forms_service.access.users import create_user

    _, system, _, _ = _month_of_events(client, catalog, example, clock)
    create_user(catalog, username="mei", password="correct horse battery", agency="379010000A", role="staff")
    login = client.get("/login").data.decode()
    client.post("/login", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1], "username": "mei",
                                "password": "correct horse battery"})
    page = client.get(f"/query-logs/{system}/2026-11").data.decode()
    assert page.index("tp-lee") < page.index("tp-wang")  # the flagged query first
    assert "unapproved-user" in page and "進行中" in page
    token = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    assert client.post(f"/query-logs/{system}/2026-11", data={"csrf": token, "action": "close"}).status_code == 303
    review = {"csrf": token, "action": "sign-off", "result": "abnormal", "explanation": "李小華非核准使用者。",
              "reviewer_name": "林𡘙華", "reviewed_on": "115/12/02"}
    refused = client.post(f"/query-logs/{system}/2026-11", data=review)
    assert refused.status_code == 422 and "review.reviewer" in refused.data.decode()
    assert ">李小華非核准使用者。</textarea>" in refused.data.decode()  # what was typed is kept
    signed = client.post(f"/query-logs/{system}/2026-11", data={**review, "reviewer_name": "陳美玲"})
    assert signed.status_code == 303 and "/records/rec_" in signed.headers["Location"]
    assert "已簽核" in client.get(f"/query-logs/{system}/2026-11").data.decode()


def test_months_are_closed_by_themselves_once_their_days_have_passed(fake_components, clock, catalog):
    from forms_service.catalog import NewQueryEvent
    from forms_service.querylog.close import months_due

    # October ended at 00:00 on 1 Nov in Taipei; five days later is 16:00 UTC on 5 Nov.
    assert months_due(datetime(2026, 11, 5, 15, 59, tzinfo=timezone.utc), 5) == ["2026-09", "2026-08", "2026-07"]
    assert months_due(datetime(2026, 11, 5, 16, 0, tzinfo=timezone.utc), 5) == ["2026-10", "2026-09", "2026-08"]
    at = datetime(2026, 10, 6, 2, 0, tzinfo=timezone.utc)
    catalog.add_query_events([NewQueryEvent(agency="379010000A", system=s, event_id="e1", at=at, data={})
                              for s in ("甲系統", "乙系統")], by="t", now=at)
    components = dataclasses.replace(fake_components, settings=dataclasses.replace(fake_components.settings,
                                                                                  query_log_close_days=5))
    clock.at = datetime(2026, 11, 5, 15, 0, tzinfo=timezone.utc)
    assert components.close_due_query_months() == []
    clock.at = datetime(2026, 11, 5, 17, 0, tzinfo=timezone.utc)
    closed = components.close_due_query_months()
    assert sorted((m.system, m.month, m.count) for m in closed) == [("乙系統", "2026-10", 1), ("甲系統", "2026-10", 1)]
    assert components.close_due_query_months() == []  # closed once
    assert all(m.closed_by == "service:query-log" for m in closed)
    off = dataclasses.replace(fake_components, settings=dataclasses.replace(fake_components.settings,
                                                                           query_log_close_days=0))
    assert off.close_due_query_months() == []
