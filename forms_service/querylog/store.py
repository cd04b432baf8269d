"""querylog/ in the database: query events, closed months, the monthly check's reviewers and flag
reviews (``…Row``), and ``SqlQueryLog``, their repository.  Rows never leave this module: reads are
mapped to the frozen values of ``values.py`` inside their session; every public method translates
database errors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, UtcDateTime
from ..db.guard import does, translating_database_errors
from ..db.repository import Repository, shallow
from .values import NewQueryEvent, QueryEvent, QueryFlagReview, QueryMonth, QueryReviewer


class QueryEventRow(Base):
    """One query a business system reported (規範 六(四)2: the users' queries a 查核人員 checks monthly).
    Evidence: appended, never changed; a retry of the same (agency, system, event_id) is not a new row."""

    __tablename__ = "query_events"
    __table_args__ = (UniqueConstraint("agency", "system", "event_id", name="uq_query_event"),
                      Index("ix_query_events_month", "agency", "system", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[dict] = mapped_column(JSON)  # the event as received and validated
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_by: Mapped[str] = mapped_column(String(200))


class QueryMonthRow(Base):
    """A closed month of one system's query events: sealed into the store, then signed off as a 附件5."""

    __tablename__ = "query_months"
    __table_args__ = (UniqueConstraint("agency", "system", "month", name="uq_query_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    count: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(500))
    object_version: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_by: Mapped[str] = mapped_column(String(200))
    record_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the signed 附件5


class QueryReviewerRow(Base):
    """The 查核人員 an administrator assigned to one business system's monthly check (規範 六(四)2)."""

    __tablename__ = "query_reviewers"
    __table_args__ = (UniqueConstraint("agency", "system", name="uq_query_reviewer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(80))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    assigned_by: Mapped[str] = mapped_column(String(200))


class QueryFlagReviewRow(Base):
    """What became of one flag of one month: the 查核人員's request for a 查調者說明, the querier's
    answer, the verdict (explained / 違規).  Each step is also in the audit log."""

    __tablename__ = "query_flag_reviews"
    __table_args__ = (UniqueConstraint("agency", "system", "month", "event_id", "kind", name="uq_query_flag_review"),
                      Index("ix_query_flag_reviews_querier", "agency", "querier_account", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    month: Mapped[str] = mapped_column(String(7))
    event_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    sentence: Mapped[str] = mapped_column(String(500))
    querier_account: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))  # requested | answered | explained | violation
    request_note: Mapped[str] = mapped_column(String(1000), default="")
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    answer: Mapped[str] = mapped_column(String(2000), default="")
    answered_by: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decision_note: Mapped[str] = mapped_column(String(1000), default="")
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


@translating_database_errors
class SqlQueryLog(Repository):
    """``QueryEventLog`` and ``QueryReview`` on the service's database (SQLite or PostgreSQL)."""

    @does("store the query events")
    def add_query_events(self, events: list[NewQueryEvent], *, by: str, now: datetime) -> set[str]:
        if not events:
            return set()
        with self._writing() as s:
            new: set[str] = set()
            for (agency, system), group in _by_source(events).items():
                ids = [e.event_id for e in group]
                known = set(s.scalars(select(QueryEventRow.event_id).where(
                    QueryEventRow.agency == agency, QueryEventRow.system == system,
                    QueryEventRow.event_id.in_(ids))))
                rows = []
                for e in group:
                    if e.event_id in known:
                        continue
                    known.add(e.event_id)  # twice in one batch: the first counts
                    new.add(e.event_id)
                    rows.append({"agency": e.agency, "system": e.system, "event_id": e.event_id, "at": e.at,
                                 "data": e.data, "received_at": now, "received_by": by})
                if rows:
                    # Another writer may have stored some of them since: those stay single.
                    s.execute(_insert_ignoring_duplicates(self.engine.dialect.name).values(rows))
            return new

    @does("read the query events")
    def query_events(self, *, agency: str, system: str, start: datetime, end: datetime,
                     limit: int = 200_000) -> list[QueryEvent]:
        with self._sessions() as s:
            rows = s.scalars(select(QueryEventRow).where(
                QueryEventRow.agency == agency, QueryEventRow.system == system, QueryEventRow.at >= start,
                QueryEventRow.at < end).order_by(QueryEventRow.at, QueryEventRow.id).limit(limit))
            return [_query_event(row) for row in rows]

    @does("list the query event sources")
    def query_event_sources(self, *, start: datetime, end: datetime) -> list[tuple[str, str]]:
        with self._sessions() as s:
            rows = s.execute(select(QueryEventRow.agency, QueryEventRow.system).where(
                QueryEventRow.at >= start, QueryEventRow.at < end).distinct().order_by(
                QueryEventRow.agency, QueryEventRow.system))
            return [(agency, system) for agency, system in rows]

    @does("close the query month")
    def close_query_month(self, month: QueryMonth) -> bool:
        try:
            with self._writing() as s:
                s.add(QueryMonthRow(**shallow(month)))
            return True
        except IntegrityError:
            return False  # closed already (by another process)

    @does("read the query month")
    def query_month(self, *, agency: str, system: str, month: str) -> QueryMonth | None:
        with self._sessions() as s:
            row = s.scalars(select(QueryMonthRow).where(QueryMonthRow.agency == agency, QueryMonthRow.system == system,
                                                        QueryMonthRow.month == month)).first()
            return _query_month(row) if row is not None else None

    @does("sign off the query month")
    def set_query_month_record(self, *, agency: str, system: str, month: str, record_id: str) -> bool:
        with self._writing() as s:
            result = s.execute(update(QueryMonthRow).where(
                QueryMonthRow.agency == agency, QueryMonthRow.system == system, QueryMonthRow.month == month,
                QueryMonthRow.record_id.is_(None)).values(record_id=record_id))
            return bool(getattr(result, "rowcount", 0))

    @does("assign the query reviewer")
    def assign_query_reviewer(self, *, agency: str, system: str, username: str, by: str,
                              now: datetime) -> QueryReviewer:
        with self._writing() as s:
            row = s.scalars(select(QueryReviewerRow).where(QueryReviewerRow.agency == agency,
                                                           QueryReviewerRow.system == system)).first()
            if row is None:
                row = QueryReviewerRow(agency=agency, system=system, username=username, assigned_at=now,
                                       assigned_by=by)
                s.add(row)
            else:
                row.username, row.assigned_at, row.assigned_by = username, now, by
            s.flush()
            return _query_reviewer(row)

    @does("read the query reviewer")
    def query_reviewer(self, *, agency: str, system: str) -> QueryReviewer | None:
        with self._sessions() as s:
            row = s.scalars(select(QueryReviewerRow).where(QueryReviewerRow.agency == agency,
                                                           QueryReviewerRow.system == system)).first()
            return _query_reviewer(row) if row is not None else None

    @does("list the query reviewers")
    def query_reviewers(self, *, agency: str | None = None, username: str | None = None) -> list[QueryReviewer]:
        query = select(QueryReviewerRow).order_by(QueryReviewerRow.agency, QueryReviewerRow.system)
        if agency is not None:
            query = query.where(QueryReviewerRow.agency == agency)
        if username is not None:
            query = query.where(QueryReviewerRow.username == username)
        with self._sessions() as s:
            return [_query_reviewer(r) for r in s.scalars(query)]

    @does("save the flag's review")
    def save_query_flag_review(self, review: QueryFlagReview) -> QueryFlagReview:
        with self._writing() as s:
            row = s.scalars(select(QueryFlagReviewRow).where(
                QueryFlagReviewRow.agency == review.agency, QueryFlagReviewRow.system == review.system,
                QueryFlagReviewRow.month == review.month, QueryFlagReviewRow.event_id == review.event_id,
                QueryFlagReviewRow.kind == review.kind)).first()
            if row is None:
                row = QueryFlagReviewRow(**shallow(review))
                s.add(row)
            else:
                for name, value in shallow(review).items():
                    setattr(row, name, value)
            s.flush()
            return _query_flag_review(row)

    @does("list the flags' reviews")
    def query_flag_reviews(self, *, agency: str | None, system: str | None = None, month: str | None = None,
                           querier_account: str | None = None,
                           states: tuple[str, ...] = ()) -> list[QueryFlagReview]:
        query = select(QueryFlagReviewRow).order_by(QueryFlagReviewRow.agency, QueryFlagReviewRow.system,
                                                    QueryFlagReviewRow.month, QueryFlagReviewRow.id)
        if agency is not None:
            query = query.where(QueryFlagReviewRow.agency == agency)
        if system is not None:
            query = query.where(QueryFlagReviewRow.system == system)
        if month is not None:
            query = query.where(QueryFlagReviewRow.month == month)
        if querier_account is not None:
            query = query.where(QueryFlagReviewRow.querier_account == querier_account)
        if states:
            query = query.where(QueryFlagReviewRow.state.in_(states))
        with self._sessions() as s:
            return [_query_flag_review(r) for r in s.scalars(query)]


def _by_source(events: list[NewQueryEvent]) -> dict[tuple[str, str], list[NewQueryEvent]]:
    groups: dict[tuple[str, str], list[NewQueryEvent]] = {}
    for event_ in events:
        groups.setdefault((event_.agency, event_.system), []).append(event_)
    return groups


def _insert_ignoring_duplicates(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on the unique (agency, system, event_id), for either backend."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(QueryEventRow).on_conflict_do_nothing(constraint="uq_query_event")
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(QueryEventRow).on_conflict_do_nothing()


def _query_event(row: QueryEventRow) -> QueryEvent:
    return QueryEvent(agency=row.agency, system=row.system, event_id=row.event_id, at=row.at, data=dict(row.data),
                      id=row.id, received_at=row.received_at, received_by=row.received_by)


def _query_month(row: QueryMonthRow) -> QueryMonth:
    return QueryMonth(agency=row.agency, system=row.system, month=row.month, count=row.count,
                      object_key=row.object_key, object_version=row.object_version, sha256=row.sha256,
                      closed_at=row.closed_at, closed_by=row.closed_by, record_id=row.record_id)


def _query_reviewer(row: QueryReviewerRow) -> QueryReviewer:
    return QueryReviewer(agency=row.agency, system=row.system, username=row.username, assigned_at=row.assigned_at,
                         assigned_by=row.assigned_by)


def _query_flag_review(row: QueryFlagReviewRow) -> QueryFlagReview:
    return QueryFlagReview(
        agency=row.agency, system=row.system, month=row.month, event_id=row.event_id, kind=row.kind,
        sentence=row.sentence, querier_account=row.querier_account, state=row.state, request_note=row.request_note,
        requested_by=row.requested_by, requested_at=row.requested_at, answer=row.answer, answered_by=row.answered_by,
        answered_at=row.answered_at, decision_note=row.decision_note, decided_by=row.decided_by,
        decided_at=row.decided_at)
