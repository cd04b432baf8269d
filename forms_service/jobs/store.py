"""jobs/ in the database: batches and their entries (``…Row``), and ``SqlBatches``, their
repository.  Rows never leave this module: reads are mapped to the frozen values of ``values.py``
inside their session; every public method translates database errors."""

from __future__ import annotations

import dataclasses
from dataclasses import fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, func, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db.base import Base, UtcDateTime
from ..db.guard import does, translating_database_errors
from ..db.repository import Repository, shallow
from .values import Batch, BatchEntry


class BatchRow(Base):
    """A batch of documents asked for in one request (the background workers produce them)."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(40))
    agency: Mapped[str] = mapped_column(String(20), index=True)
    actor: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    webhook_url: Mapped[str] = mapped_column(String(2000), default="")
    webhook_secret: Mapped[str] = mapped_column(String(100), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    paused_because: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class BatchEntryRow(Base):
    """One input of a batch: its state, who holds it and until when, and the record it became."""

    __tablename__ = "batch_entries"
    __table_args__ = (Index("ix_batch_entries_state", "batch_id", "state"),)

    batch_id: Mapped[str] = mapped_column(String(40), ForeignKey("batches.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    input: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(40), default="")
    problem: Mapped[dict] = mapped_column(JSON, default=dict)
    worker: Mapped[str] = mapped_column(String(200), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


@translating_database_errors
class SqlBatches(Repository):
    """``Batches`` on the service's database (SQLite or PostgreSQL)."""

    @does("record the batch")
    def add_batch(self, batch: Batch, entries: list[BatchEntry]) -> Batch:
        with self._writing() as s:
            s.add(BatchRow(**shallow(batch)))
            s.flush()  # the batch before its entries (their foreign key)
            s.add_all(BatchEntryRow(**{**shallow(e), "updated_at": e.updated_at or batch.created_at})
                      for e in entries)
        return batch

    @does("read the batch")
    def batch(self, batch_id: str) -> Batch | None:
        with self._sessions() as s:
            row = s.get(BatchRow, batch_id)
            return _batch(row) if row is not None else None

    @does("read the batch's entries")
    def batch_entries(self, batch_id: str, *, from_number: int = 1, limit: int | None = None) -> list[BatchEntry]:
        # Every column but the input: recovery reads the entries of each unfinished batch every
        # minute, and a batch of 10,000 inputs would be megabytes of JSON each time.
        columns = [getattr(BatchEntryRow, f.name) for f in dataclasses.fields(BatchEntry) if f.name != "input"]
        query = (select(*columns).where(BatchEntryRow.batch_id == batch_id, BatchEntryRow.number >= from_number)
                 .order_by(BatchEntryRow.number).limit(limit))
        with self._sessions() as s:
            return [BatchEntry(input=None, **row._asdict()) for row in s.execute(query)]

    @does("count the batch's entries")
    def batch_entry_counts(self, batch_id: str) -> dict[str, int]:
        with self._sessions() as s:
            return _entry_counts(s, [batch_id])[batch_id]

    @does("take a batch entry")
    def take_batch_entry(self, batch_id: str, *, worker: str, now: datetime,
                         lease: timedelta) -> BatchEntry | None:
        stale = (BatchEntryRow.state == "running") & (BatchEntryRow.lease_until < now)
        for _ in range(20):  # another worker may take the entry we picked first: pick again
            with self._writing() as s:
                cancelled, paused_until = s.execute(select(BatchRow.cancelled_at, BatchRow.paused_until)
                                                    .where(BatchRow.id == batch_id)).one_or_none() or (None, None)
                if paused_until is not None and paused_until > now:
                    return None
                # A cancelled batch hands out no queued entry, but an entry whose worker died while
                # producing it is still finished (its record may be filed already).
                takeable = stale if cancelled is not None else or_(BatchEntryRow.state == "queued", stale)
                number = s.scalar(select(func.min(BatchEntryRow.number))
                                  .where(BatchEntryRow.batch_id == batch_id, takeable))
                if number is None:
                    return None
                # The state is checked again by the UPDATE itself: on PostgreSQL a concurrent taker's
                # committed change is seen there, so only one of two racing workers gets a row.
                taken = s.execute(update(BatchEntryRow)
                                  .where(BatchEntryRow.batch_id == batch_id, BatchEntryRow.number == number, takeable)
                                  .values(state="running", worker=worker[:200], lease_until=now + lease,
                                          attempts=BatchEntryRow.attempts + 1, updated_at=now))
                if getattr(taken, "rowcount", 0):
                    row = s.scalars(select(BatchEntryRow).where(BatchEntryRow.batch_id == batch_id,
                                                                BatchEntryRow.number == number)
                                    .execution_options(populate_existing=True)).one()
                    return _batch_entry(row)
        return None

    @does("pause the batch")
    def pause_batch(self, batch_id: str, *, until: datetime, because: dict[str, Any]) -> None:
        with self._writing() as s:
            s.execute(update(BatchRow).where(BatchRow.id == batch_id)
                      .values(paused_until=until, paused_because=because))

    @does("record the batch entry's end")
    def end_batch_entry(self, entry: BatchEntry, *, now: datetime) -> bool:
        with self._writing() as s:
            done = s.execute(update(BatchEntryRow)
                             .where(BatchEntryRow.batch_id == entry.batch_id, BatchEntryRow.number == entry.number,
                                    BatchEntryRow.state == "running")
                             .values(state=entry.state, record_id=entry.record_id, problem=entry.problem,
                                     worker=entry.worker[:200], lease_until=None, updated_at=now))
            return bool(getattr(done, "rowcount", 0))

    @does("cancel the batch")
    def cancel_batch(self, batch_id: str, *, now: datetime) -> int:
        with self._writing() as s:
            s.execute(update(BatchRow).where(BatchRow.id == batch_id, BatchRow.cancelled_at.is_(None))
                      .values(cancelled_at=now))
            done = s.execute(update(BatchEntryRow)
                             .where(BatchEntryRow.batch_id == batch_id, BatchEntryRow.state == "queued")
                             .values(state="cancelled", updated_at=now))
            return int(getattr(done, "rowcount", 0) or 0)

    @does("finish the batch")
    def finish_batch(self, batch_id: str, *, now: datetime) -> bool:
        open_entries = (select(BatchEntryRow.number)
                        .where(BatchEntryRow.batch_id == batch_id, BatchEntryRow.state.in_(("queued", "running")))
                        .exists())
        with self._writing() as s:
            done = s.execute(update(BatchRow)
                             .where(BatchRow.id == batch_id, BatchRow.finished_at.is_(None), ~open_entries)
                             .values(finished_at=now))
            return bool(getattr(done, "rowcount", 0))

    @does("list the unfinished batches")
    def unfinished_batches(self) -> list[Batch]:
        with self._sessions() as s:
            rows = s.scalars(select(BatchRow).where(BatchRow.finished_at.is_(None)).order_by(BatchRow.created_at))
            return [_batch(r) for r in rows]

    @does("list the batches")
    def recent_batches(self, *, agency: str | None, limit: int = 50) -> list[tuple[Batch, dict[str, int]]]:
        query = select(BatchRow).order_by(BatchRow.created_at.desc(), BatchRow.id).limit(limit)
        if agency is not None:
            query = query.where(BatchRow.agency == agency)
        with self._sessions() as s:
            found = [_batch(r) for r in s.scalars(query)]
            counts = _entry_counts(s, [b.id for b in found])
            return [(b, counts[b.id]) for b in found]


def _entry_counts(s: Session, batch_ids: list[str]) -> dict[str, dict[str, int]]:
    """Each batch's entries counted by state, in one query."""
    counts: dict[str, dict[str, int]] = {batch_id: {} for batch_id in batch_ids}
    rows = s.execute(select(BatchEntryRow.batch_id, BatchEntryRow.state, func.count())
                     .where(BatchEntryRow.batch_id.in_(batch_ids))
                     .group_by(BatchEntryRow.batch_id, BatchEntryRow.state))
    for batch_id, state, count in rows:
        counts[batch_id][state] = count
    return counts


def _batch(row: BatchRow) -> Batch:
    return Batch(**{f.name: getattr(row, f.name) for f in fields(Batch)})


def _batch_entry(row: BatchEntryRow) -> BatchEntry:
    return BatchEntry(**{f.name: getattr(row, f.name) for f in fields(BatchEntry)})
