"""Batches: many inputs of one form, each checked when asked for, produced and filed by the jobs
processes one entry at a time, exactly once.

Exactly once, whatever dies when: an entry's record id is fixed by the batch and the entry's number
(``record_id_for``), so a worker that takes over an entry whose holder died finds the record if it
was filed, and two workers filing the same entry cannot both succeed (the catalog's primary key).
A worker holds an entry under a lease; ``recover`` sets workers going again on batches whose
entries wait with their lease passed (their worker's job was lost with its process).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ..access import Actor
from ..archive.filing import may_file_for
from ..catalog import NewAuditEvent
from ..errors import Forbidden, FormsError, InputError, NotFound, ServiceUnavailable, ValidationFailed
from .values import Batch, BatchEntry, Batches

MAX_ENTRIES = 10_000
MAX_ATTEMPTS = 3  # an entry whose worker died this often (or that keeps failing) is given up
# Jobs set going per batch: enough for every worker thread of a few instances to take part; the
# ones that find nothing left end at once.
WORKERS_PER_BATCH = 8
ENDED = ("done", "refused", "failed", "cancelled")
_RECORD_IDS = uuid.UUID("6f1d1c2e-4a8b-4f0e-9a57-3d0c2b1e9f11")


def record_id_for(batch_id: str, number: int) -> str:
    """The id the record of a batch's entry has, whichever worker files it and however often."""
    return "rec_" + uuid.uuid5(_RECORD_IDS, f"{batch_id}/{number}").hex


def problem_of(err: FormsError) -> dict[str, Any]:
    """What the submitter sees of a refused or failed entry: the stable code, the sentence and,
    for bad input, the fields."""
    found: dict[str, Any] = {"code": err.code, "message": err.message}
    if isinstance(err, ValidationFailed):
        found["errors"] = [p.as_dict() for p in err.problems]
        found["field"] = err.problems[0].path if err.problems else ""
    elif "field" in err.details:
        found["field"] = err.details["field"]
    return found


def submit(batches: Batches, actor: Actor, form_id: str, inputs: list[Any], *, check: Callable[[Any], None],
           now: datetime, webhook_url: str = "") -> tuple[Batch, list[BatchEntry]]:
    """Record a batch; each input is checked now (``check`` raises ``InputError`` naming the field)
    and a refused one is recorded refused, so only good entries wait for a worker."""
    if not inputs:
        raise InputError("a batch needs at least one input", details={"field": "inputs"})
    if len(inputs) > MAX_ENTRIES:
        raise InputError(f"a batch takes at most {MAX_ENTRIES} inputs, not {len(inputs)}",
                         details={"field": "inputs"})
    batch = Batch(id="bat_" + uuid.uuid4().hex, form_id=form_id, agency=actor.agency,
                  actor={"id": actor.id, "agency": actor.agency, "role": str(actor.role), "system": actor.system},
                  created_at=now, webhook_url=webhook_url,
                  webhook_secret=secrets.token_urlsafe(32) if webhook_url else "")
    entries = []
    for number, data in enumerate(inputs, start=1):
        entry = BatchEntry(batch.id, number, data, updated_at=now)
        try:
            check(data)
        except InputError as err:
            entry = replace(entry, state="refused", problem=problem_of(err))
        entries.append(entry)
    batches.add_batch(batch, entries)
    return batch, entries


def actor_of(batch: Batch) -> Actor:
    return Actor(id=batch.actor["id"], agency=batch.actor.get("agency", ""), role=batch.actor["role"],
                 system=batch.actor.get("system", ""))


def state_of(batch: Batch, counts: dict[str, int]) -> str:
    """queued, running (a worker has begun), cancelling, finished or cancelled."""
    if batch.finished_at is not None:
        return "cancelled" if batch.cancelled_at is not None else "finished"
    if batch.cancelled_at is not None:
        return "cancelling"
    begun = sum(counts.get(state, 0) for state in ("running", "done", "failed"))
    return "running" if begun else "queued"


@dataclass(frozen=True)
class Progress:
    """A batch as its submitter sees it: every entry counted by state, and the entries asked for
    (all of them, or a window of them by number)."""

    batch: Batch
    entries: list[BatchEntry]
    by_state: dict[str, int]

    @property
    def counts(self) -> dict[str, int]:
        return {state: self.by_state.get(state, 0) for state in ("queued", "running", *ENDED)}

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def state(self) -> str:
        return state_of(self.batch, self.counts)

    def paused(self, now: datetime) -> dict[str, Any] | None:
        """Until when a fault holds the unfinished batch, and which fault; None when none does."""
        batch = self.batch
        if batch.finished_at is not None or batch.paused_until is None or batch.paused_until <= now:
            return None
        return {"until": batch.paused_until.isoformat(), **(batch.paused_because or {})}

    @property
    def ended(self) -> int:
        return sum(self.by_state.get(state, 0) for state in ENDED)


def progress(batches: Batches, batch_id: str, *, agency: str | None, from_number: int = 1,
             limit: int | None = None) -> Progress:
    """The batch (``agency``'s own when given), or ``NotFound``; its entries from ``from_number``
    on, at most ``limit`` of them when given (none read for 0: counts only)."""
    batch = batches.batch(batch_id)
    if batch is None or (agency is not None and batch.agency != agency):
        raise NotFound(f"no batch {batch_id}", details={"batch_id": batch_id})
    entries = [] if limit == 0 else batches.batch_entries(batch_id, from_number=from_number, limit=limit)
    return Progress(batch, entries, batches.batch_entry_counts(batch_id))


def cancel(catalog: Batches, actor: Actor, batch_id: str, *, audit: Callable[[NewAuditEvent], None], now: datetime,
           source_ip: str = "") -> Progress:
    """Cancel the entries of the batch (the actor's agency's) still waiting — those being produced
    finish — audited; the batch as it stands after.  Only those who may file for the batch's agency
    may withdraw it (its staff, an administrator): not its readers, nor the data provider."""
    found = progress(catalog, batch_id, agency=actor.scope)  # NotFound outside the actor's agency
    if not may_file_for(actor, found.batch.agency):
        raise Forbidden("只有可為此機關填報表單的人員（承辦人或系統管理者）可以取消批次")
    cancelled = catalog.cancel_batch(batch_id, now=now)
    audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="batch.cancel", source_ip=source_ip,
                        detail={"batch_id": batch_id, "cancelled": cancelled}))
    catalog.finish_batch(batch_id, now=now)
    return progress(catalog, batch_id, agency=None)


FileEntry = Callable[[Batch, BatchEntry, str], str]  # (batch, entry, record id) → the filed record's id


def work(batches: Batches, batch_id: str, *, file_entry: FileEntry, worker: str, clock: Callable[[], datetime],
         lease: timedelta, on_finished: Callable[[Batch], None], on_entry: Callable[[str], None] | None = None) -> int:
    """Take the batch's entries one at a time until none is left; how many this worker ended.

    An entry ends ``done`` (its record filed), ``refused`` (its input or the filer's right is
    wrong: nothing filed) or ``failed`` (a fault ``MAX_ATTEMPTS`` times).  A fault short of that
    (the store or the TSA down) pauses the batch for a lease's time and stops this worker: the
    batch's other workers stop at their next entry, the entry met is held until its lease passes,
    and ``recover`` sets workers going again — no entry's attempts are spent on the same fault."""
    batch = batches.batch(batch_id)
    if batch is None:
        return 0
    ended = 0
    while (entry := batches.take_batch_entry(batch_id, worker=worker, now=clock(), lease=lease)) is not None:
        outcome = _attempt(batch, entry, file_entry, worker)
        if isinstance(outcome, ServiceUnavailable):
            batches.pause_batch(batch_id, until=clock() + lease, because=problem_of(outcome))
            return ended
        batches.end_batch_entry(outcome, now=clock())
        ended += 1
        if on_entry is not None:
            on_entry(outcome.state)
    if batches.finish_batch(batch_id, now=clock()):
        on_finished(batches.batch(batch_id) or batch)
    return ended


def _attempt(batch: Batch, entry: BatchEntry, file_entry: FileEntry, worker: str) -> BatchEntry | ServiceUnavailable:
    """The entry ended, or the fault that keeps it from ending now."""
    ended = replace(entry, worker=worker)
    if entry.attempts > MAX_ATTEMPTS:
        return replace(ended, state="failed", problem={
            "code": "gave_up", "message": f"given up after {MAX_ATTEMPTS} attempts (its worker stopped each time)"})
    try:
        record_id = file_entry(batch, entry, record_id_for(batch.id, entry.number))
    except ServiceUnavailable as err:
        if entry.attempts >= MAX_ATTEMPTS:
            return replace(ended, state="failed", problem=problem_of(err))
        return err
    except FormsError as err:
        return replace(ended, state="refused", problem=problem_of(err))
    return replace(ended, state="done", record_id=record_id)


def recover(batches: Batches, *, now: datetime, lease: timedelta, start_workers: Callable[[str, int], None],
            on_finished: Callable[[Batch], None]) -> list[str]:
    """Set workers going on each batch that waits for them — an entry held past its lease (its
    worker died, or a fault paused the batch and the pause is over), or queued entries with nothing
    moving for a lease's time (their jobs were lost with a process) — and finish batches whose last
    entry ended without the batch being marked.  Safe to run on every instance at once: a
    superfluous worker finds nothing to take."""
    started = []
    for batch in batches.unfinished_batches():
        entries = batches.batch_entries(batch.id)
        if all(e.state in ENDED for e in entries):
            if batches.finish_batch(batch.id, now=now):
                on_finished(batches.batch(batch.id) or batch)
            continue
        if batch.paused_until is not None and batch.paused_until > now:
            continue  # a fault holds it: its workers are set going once the pause is over
        last_move = max((e.updated_at for e in entries if e.updated_at is not None), default=batch.created_at)
        held_past_lease = any(e.state == "running" and e.lease_until is not None and e.lease_until < now
                              for e in entries)
        if held_past_lease or (now - last_move > lease and batch.cancelled_at is None):
            waiting = sum(1 for e in entries if e.state in ("queued", "running"))
            start_workers(batch.id, min(waiting, WORKERS_PER_BATCH))
            started.append(batch.id)
    return started
