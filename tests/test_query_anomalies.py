"""Anomaly flags of the monthly query check: a month of clean traffic with one planted anomaly of
every kind — each planted one flagged with its kind, no clean one flagged."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest

from forms_service.querylog.anomalies import Connection, Thresholds, flag_month
from forms_service.querylog.values import QueryEvent
from forms_service.taiwan import is_working_day

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
    assert [(f.kind, "終止" in f.sentence) for f in flags] == [("outside-period", True)]


@pytest.mark.parametrize("purposes,flagged", [((), True), (("一般諮詢",), False)])
def test_purposes_that_need_no_case_are_a_setting(purposes, flagged):
    event = q("x", datetime(2026, 11, 16, 10, 0, tzinfo=TAIPEI), case_no="", purpose="一般諮詢")
    flags = flag_month([event], None, Thresholds(no_case_purposes=purposes))
    assert (["no-case"] if flagged else []) == [f.kind for f in flags]


def test_the_month_answers_through_the_api(client, catalog, staff_token, example):
    from forms_service.access.tokens import create_token
    from forms_service.connections.tokens import create_system_token
    from tests.conftest import agreed_connection

    root = agreed_connection(client, catalog)
    system = example("annex1-interface")["host"]["system_name"]
    token = create_system_token(catalog, agency="379010000A", connection_id=root)
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
    assert month["count"] == 2 and month["connection"] == root
    assert {(f["event_id"], f["kind"]) for f in month["flags"]} == {("e2", "off-hours"), ("e2", "unapproved-user")}


def test_months_are_closed_by_themselves_once_their_days_have_passed(fake_components, clock, catalog):
    from forms_service.querylog.close import months_due
    from forms_service.querylog.values import NewQueryEvent

    # October ended at 00:00 on 1 Nov in Taipei; five days later is 16:00 UTC on 5 Nov.
    assert months_due(datetime(2026, 11, 5, 15, 59, tzinfo=timezone.utc), 5) == ["2026-09", "2026-08", "2026-07"]
    assert months_due(datetime(2026, 11, 5, 16, 0, tzinfo=timezone.utc), 5) == ["2026-10", "2026-09", "2026-08"]
    at = datetime(2026, 10, 6, 2, 0, tzinfo=timezone.utc)
    catalog.add_query_events([NewQueryEvent(agency="379010000A", system=s, event_id="e1", at=at, data={})
                              for s in ("甲系統", "乙系統")], by="t", now=at)
    components = fake_components.sharing(settings=dataclasses.replace(fake_components.settings,
                                                                                  query_log_close_days=5))
    clock.at = datetime(2026, 11, 5, 15, 0, tzinfo=timezone.utc)
    assert components.close_due_query_months() == []
    clock.at = datetime(2026, 11, 5, 17, 0, tzinfo=timezone.utc)
    closed = components.close_due_query_months()
    assert sorted((m.system, m.month, m.count) for m in closed) == [("乙系統", "2026-10", 1), ("甲系統", "2026-10", 1)]
    assert components.close_due_query_months() == []  # closed once
    assert all(m.closed_by == "service:query-log" for m in closed)
    off = fake_components.sharing(settings=dataclasses.replace(fake_components.settings,
                                                                           query_log_close_days=0))
    assert off.close_due_query_months() == []
