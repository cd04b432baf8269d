"""The query log's repository contract (``querylog.store.SqlQueryLog``), on SQLite and PostgreSQL: events kept
once per system, months closed and signed off once, one 查核人員 per system, each flag's review."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from forms_service.querylog.store import SqlQueryLog
from forms_service.querylog.values import NewQueryEvent, QueryFlagReview, QueryMonth


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def any_query_log(any_database):
    """The concern's repository alone on a fresh database of each backend."""
    return SqlQueryLog(any_database)


def _events(*ids: str, system: str = "稅務系統") -> list[NewQueryEvent]:
    at = datetime(2026, 11, 3, 1, 15, tzinfo=timezone.utc)
    return [NewQueryEvent(agency="379010000A", system=system, event_id=i, at=at + timedelta(minutes=n),
                          data={"event_id": i, "user": {"name": "王小明"}}) for n, i in enumerate(ids)]


def test_query_events_are_stored_once_per_system_and_read_by_month(any_query_log):
    assert any_query_log.add_query_events(_events("a", "b", "a"), by="token:1", now=now()) == {"a", "b"}
    assert any_query_log.add_query_events(_events("b", "c"), by="token:1", now=now()) == {"c"}
    assert any_query_log.add_query_events(_events("a", system="另一系統"), by="token:2", now=now()) == {"a"}
    month = {"start": datetime(2026, 11, 1, tzinfo=timezone.utc), "end": datetime(2026, 12, 1, tzinfo=timezone.utc)}
    stored = any_query_log.query_events(agency="379010000A", system="稅務系統", **month)
    assert [e.event_id for e in stored] == ["a", "b", "c"] and stored[0].data["user"]["name"] == "王小明"
    assert any_query_log.query_events(agency="379010000A", system="稅務系統",
                                    start=datetime(2026, 12, 1, tzinfo=timezone.utc),
                                    end=datetime(2027, 1, 1, tzinfo=timezone.utc)) == []
    assert any_query_log.query_event_sources(**month) == [("379010000A", "另一系統"), ("379010000A", "稅務系統")]


def test_a_query_month_is_closed_once_and_signed_off_once(any_query_log):
    month = QueryMonth(agency="379010000A", system="稅務系統", month="2026-11", count=3, object_key="k",
                       object_version="v", sha256="a" * 64, closed_at=now(), closed_by="user:sara")
    assert any_query_log.close_query_month(month) and not any_query_log.close_query_month(month)
    assert any_query_log.query_month(agency="379010000A", system="稅務系統", month="2026-11").count == 3
    assert any_query_log.query_month(agency="379010000A", system="稅務系統", month="2026-10") is None
    assert any_query_log.set_query_month_record(agency="379010000A", system="稅務系統", month="2026-11",
                                              record_id="rec_1")
    assert not any_query_log.set_query_month_record(agency="379010000A", system="稅務系統", month="2026-11",
                                                  record_id="rec_2")
    assert any_query_log.query_month(agency="379010000A", system="稅務系統", month="2026-11").record_id == "rec_1"


def test_a_system_has_one_query_reviewer_at_a_time(any_query_log):
    any_query_log.assign_query_reviewer(agency="379010000A", system="稅務系統", username="lin", by="user:admin",
                                      now=now())
    any_query_log.assign_query_reviewer(agency="379010000A", system="稅務系統", username="chen", by="user:admin",
                                      now=now())
    any_query_log.assign_query_reviewer(agency="379010000A", system="地價系統", username="chen", by="user:admin",
                                      now=now())
    assert any_query_log.query_reviewer(agency="379010000A", system="稅務系統").username == "chen"
    assert any_query_log.query_reviewer(agency="379010000A", system="其他") is None
    assert [r.system for r in any_query_log.query_reviewers(username="chen")] == ["地價系統", "稅務系統"]
    assert any_query_log.query_reviewers(agency="A15000000E") == []


def test_a_flag_review_moves_through_its_states_and_is_found_by_querier(any_query_log):
    flag = QueryFlagReview(agency="379010000A", system="稅務系統", month="2026-11", event_id="e1", kind="off-hours",
                           sentence="下班時間查詢", querier_account="wang", state="requested", request_note="請說明",
                           requested_by="user:chen", requested_at=now())
    any_query_log.save_query_flag_review(flag)
    any_query_log.save_query_flag_review(dataclasses.replace(flag, kind="repeat", querier_account="lee"))
    answered = any_query_log.save_query_flag_review(dataclasses.replace(flag, state="answered", answer="加班處理陳情案",
                                                                      answered_by="user:wang", answered_at=now()))
    assert answered.answer == "加班處理陳情案" and answered.request_note == "請說明"
    mine = any_query_log.query_flag_reviews(agency="379010000A", querier_account="wang")
    assert [(f.kind, f.state) for f in mine] == [("off-hours", "answered")]
    assert len(any_query_log.query_flag_reviews(agency="379010000A", system="稅務系統", month="2026-11")) == 2
    assert [f.kind for f in any_query_log.query_flag_reviews(agency="379010000A", states=("requested",))] == ["repeat"]
    assert any_query_log.query_flag_reviews(agency="379010000A", month="2026-10") == []
    assert len(any_query_log.query_flag_reviews(agency=None)) == 2

