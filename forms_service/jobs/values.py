"""What jobs/ keeps in the database — batches of many documents asked for at once, and what became
of each entry — as the frozen values that cross its repository's protocol, and that protocol
(``Batches``; ``store.py`` implements it, ``tests/contract/test_batches_store.py`` runs on SQLite and
PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Batch:
    """Many documents of one form asked for in one request, produced by the background workers."""

    id: str
    form_id: str
    agency: str  # the submitter's agency ("" for an administrator)
    actor: dict[str, Any]  # who submitted it (id, agency, role): each record is filed as them
    created_at: datetime
    webhook_url: str = ""
    webhook_secret: str = ""  # the HMAC key of its completion call, told to the submitter once
    cancelled_at: datetime | None = None
    finished_at: datetime | None = None  # when its last entry ended (done, refused, failed, cancelled)
    # A fault (the store or the TSA down) pauses the whole batch for a lease's time, so its entries
    # are not spent one after another on the same fault; why, for the submitter to see.
    paused_until: datetime | None = None
    paused_because: dict[str, Any] | None = None  # code, message


@dataclass(frozen=True)
class BatchEntry:
    """One input of a batch and what became of it."""

    batch_id: str
    number: int  # 1, 2, … in the order given
    input: Any  # None where read without it (``batch_entries``)
    state: str = "queued"  # queued, running, done, refused, failed, cancelled
    record_id: str = ""
    problem: dict[str, Any] = field(default_factory=dict)  # code, message, field (refused / failed)
    worker: str = ""  # who holds it (running) or did it
    lease_until: datetime | None = None  # a running entry whose lease passed may be taken again
    attempts: int = 0
    updated_at: datetime | None = None


@runtime_checkable
class Batches(Protocol):
    """Batches and their entries: the background workers take entries one at a time under a lease,
    so workers on several machines share a batch and an entry whose worker died is taken again."""

    def add_batch(self, batch: Batch, entries: list[BatchEntry]) -> Batch: ...

    def batch(self, batch_id: str) -> Batch | None: ...

    def batch_entries(self, batch_id: str, *, from_number: int = 1, limit: int | None = None) -> list[BatchEntry]:
        """The batch's entries, by number, without their inputs (``input`` None): what became of
        each; a worker gets an entry's input from ``take_batch_entry``.  From ``from_number`` on, at
        most ``limit`` of them when given (a window, for following a large batch)."""

    def batch_entry_counts(self, batch_id: str) -> dict[str, int]:
        """The batch's entries counted by state (states with none left out)."""

    def take_batch_entry(self, batch_id: str, *, worker: str, now: datetime,
                         lease: timedelta) -> BatchEntry | None:
        """Hand ``worker`` the lowest-numbered entry that is queued, or running with its lease
        passed, marked running until ``now + lease`` (attempts + 1); None when there is none or the
        batch is paused past ``now``.  A cancelled batch hands out only entries running past their
        lease (begun before the cancel).  Two workers never hold the same entry at once."""

    def pause_batch(self, batch_id: str, *, until: datetime, because: dict[str, Any]) -> None:
        """Hand out no entry of the batch before ``until`` (a fault met; ``because`` says which)."""

    def end_batch_entry(self, entry: BatchEntry, *, now: datetime) -> bool:
        """Write a running entry's end (``state`` done, refused or failed; ``record_id``,
        ``problem``); False, changing nothing, when the entry has ended already."""

    def cancel_batch(self, batch_id: str, *, now: datetime) -> int:
        """Cancel the batch's queued entries (running ones finish); how many were cancelled."""

    def finish_batch(self, batch_id: str, *, now: datetime) -> bool:
        """Mark the batch finished when no entry is queued or running; True for exactly one caller."""

    def unfinished_batches(self) -> list[Batch]:
        """Batches with an entry still queued or running, oldest first."""

    def recent_batches(self, *, agency: str | None, limit: int = 50) -> list[tuple[Batch, dict[str, int]]]:
        """The newest batches (of one agency when given) with their entries counted by state."""
