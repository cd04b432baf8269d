"""What querylog/ keeps in the database — query events, closed months, the monthly check's reviewers
and the state of each flag — as the frozen values that cross its repository's protocols, and those
protocols (``QueryEventLog``, ``QueryReview``; ``store.py`` implements them,
``tests/contract/test_query_log_store.py`` runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class NewQueryEvent:
    agency: str
    system: str
    event_id: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class QueryEvent(NewQueryEvent):
    id: int
    received_at: datetime
    received_by: str


@dataclass(frozen=True)
class QueryMonth:
    """A closed month of a system's query events (its sealed segment in the store, its 附件5 once signed)."""

    agency: str
    system: str
    month: str
    count: int
    object_key: str
    object_version: str
    sha256: str
    closed_at: datetime
    closed_by: str
    record_id: str | None = None


@dataclass(frozen=True)
class QueryReviewer:
    """The 查核人員 assigned to one business system."""

    agency: str
    system: str
    username: str
    assigned_at: datetime
    assigned_by: str


@dataclass(frozen=True)
class QueryFlagReview:
    """One flag of a month under review: requested → answered → explained | violation (or decided
    without a request)."""

    agency: str
    system: str
    month: str
    event_id: str
    kind: str
    sentence: str
    querier_account: str
    state: str
    request_note: str = ""
    requested_by: str = ""
    requested_at: datetime | None = None
    answer: str = ""
    answered_by: str = ""
    answered_at: datetime | None = None
    decision_note: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None


@runtime_checkable
class QueryEventLog(Protocol):
    """The queries agencies' business systems report (規範 六(四)2): appended, never changed."""

    def add_query_events(self, events: list[NewQueryEvent], *, by: str, now: datetime) -> set[str]:
        """Store the events not stored before; the event ids that were new.  An (agency, system,
        event_id) already stored — by an earlier batch, a concurrent one or earlier in this one —
        is never stored twice."""

    def query_events(self, *, agency: str, system: str, start: datetime, end: datetime,
                     limit: int = 200_000) -> list[QueryEvent]:
        """The events of one system that happened in [start, end), in time order."""

    def query_event_sources(self, *, start: datetime, end: datetime) -> list[tuple[str, str]]:
        """The (agency, system) pairs with events in [start, end)."""

    def close_query_month(self, month: QueryMonth) -> bool:
        """Record a month as closed (its segment sealed); False if it was closed already."""

    def query_month(self, *, agency: str, system: str, month: str) -> QueryMonth | None: ...

    def set_query_month_record(self, *, agency: str, system: str, month: str, record_id: str) -> bool:
        """The month's signed 附件5; False if the month is not closed or has one already."""


@runtime_checkable
class QueryReview(Protocol):
    """The monthly check's people and steps: who reviews each system and what became of each flag."""

    def assign_query_reviewer(self, *, agency: str, system: str, username: str, by: str,
                              now: datetime) -> QueryReviewer:
        """Make ``username`` the system's 查核人員 (replacing the one before)."""

    def query_reviewer(self, *, agency: str, system: str) -> QueryReviewer | None: ...

    def query_reviewers(self, *, agency: str | None = None, username: str | None = None) -> list[QueryReviewer]:
        """Assignments by agency and system (of one agency, or of one person, when given)."""

    def save_query_flag_review(self, review: QueryFlagReview) -> QueryFlagReview:
        """Create or replace the state of one flag (agency, system, month, event_id, kind)."""

    def query_flag_reviews(self, *, agency: str | None, system: str | None = None, month: str | None = None,
                           querier_account: str | None = None,
                           states: tuple[str, ...] = ()) -> list[QueryFlagReview]:
        """Flag states of one agency (None: all), narrowed by system, month, querier and states."""
