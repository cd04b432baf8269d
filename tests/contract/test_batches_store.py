"""The batches repository contract (``jobs.store.SqlBatches``), on SQLite and PostgreSQL: entries taken in
order, once, and again after their lease; paused, cancelled and counted batches; racing workers."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from forms_service.jobs.store import SqlBatches


def now() -> datetime:
    return datetime.now(timezone.utc)


def _batch(any_batches, entries: int = 3, **changes):
    from forms_service.jobs.values import Batch, BatchEntry

    fields = {"form_id": "annex2-agreement", "agency": "379000000A", "created_at": now(),
              "actor": {"id": "token:1", "agency": "379000000A", "role": "clerk"}, **changes}
    batch = Batch(id="bat_" + uuid.uuid4().hex[:8], **fields)
    any_batches.add_batch(batch, [BatchEntry(batch.id, n, {"n": n, "名": "𡘙"}) for n in range(1, entries + 1)])
    return batch


@pytest.fixture
def any_batches(any_database):
    """The concern's repository alone on a fresh database of each backend."""
    return SqlBatches(any_database)


def test_batch_entries_are_taken_in_order_once_and_again_after_their_lease(any_batches):
    batch = _batch(any_batches, webhook_url="https://example.org/hook", webhook_secret="s")
    assert any_batches.batch(batch.id) == batch and any_batches.batch("bat_none") is None
    lease = timedelta(seconds=30)
    first = any_batches.take_batch_entry(batch.id, worker="a", now=now(), lease=lease)
    second = any_batches.take_batch_entry(batch.id, worker="b", now=now(), lease=timedelta(hours=1))
    assert (first.number, first.state, first.attempts, first.input) == (1, "running", 1, {"n": 1, "名": "𡘙"})
    assert (second.number, second.worker) == (2, "b")
    # a's lease passes (its process died): the entry is taken again, by c, and a's late end is refused
    later = now() + timedelta(seconds=31)
    third = any_batches.take_batch_entry(batch.id, worker="c", now=later, lease=lease)
    assert (third.number, third.worker, third.attempts) == (1, "c", 2)
    assert any_batches.end_batch_entry(dataclasses.replace(third, state="done", record_id="rec_1"), now=later)
    assert not any_batches.end_batch_entry(dataclasses.replace(first, state="failed"), now=later)
    assert any_batches.take_batch_entry(batch.id, worker="c", now=later, lease=lease).number == 3
    assert any_batches.take_batch_entry(batch.id, worker="c", now=later, lease=lease) is None
    assert [b.id for b in any_batches.unfinished_batches()] == [batch.id]
    assert any_batches.finish_batch(batch.id, now=later) is False  # 2 and 3 still running
    for entry in any_batches.batch_entries(batch.id)[1:]:
        any_batches.end_batch_entry(dataclasses.replace(entry, state="refused", problem={"field": "x"}), now=later)
    assert [(e.state, e.record_id) for e in any_batches.batch_entries(batch.id)] == [
        ("done", "rec_1"), ("refused", ""), ("refused", "")]
    assert [e.input for e in any_batches.batch_entries(batch.id)] == [None, None, None]  # read without them
    assert any_batches.finish_batch(batch.id, now=later) is True
    assert any_batches.finish_batch(batch.id, now=later) is False  # once
    assert any_batches.batch(batch.id).finished_at is not None and any_batches.unfinished_batches() == []


def test_a_batch_is_read_in_windows_of_its_entries_and_counted_by_state(any_batches):
    batch = _batch(any_batches, entries=5)
    any_batches.take_batch_entry(batch.id, worker="a", now=now(), lease=timedelta(minutes=5))
    assert [e.number for e in any_batches.batch_entries(batch.id, from_number=2, limit=2)] == [2, 3]
    assert [e.number for e in any_batches.batch_entries(batch.id, from_number=4)] == [4, 5]
    assert any_batches.batch_entries(batch.id, from_number=6, limit=2) == []
    assert any_batches.batch_entries(batch.id, limit=0) == []
    assert any_batches.batch_entry_counts(batch.id) == {"queued": 4, "running": 1}
    assert any_batches.batch_entry_counts("bat_none") == {}


def test_recent_batches_are_newest_first_per_agency_with_their_entries_counted(any_batches):
    moment = now()
    older = _batch(any_batches, entries=3, created_at=moment - timedelta(hours=1))
    newer = _batch(any_batches, entries=2, created_at=moment)
    other = _batch(any_batches, entries=1, agency="387000000A", created_at=moment - timedelta(minutes=1))
    any_batches.take_batch_entry(older.id, worker="a", now=now(), lease=timedelta(minutes=5))
    found = any_batches.recent_batches(agency="379000000A")
    assert [(b.id, counts) for b, counts in found] == [(newer.id, {"queued": 2}),
                                                      (older.id, {"queued": 2, "running": 1})]
    assert [b.id for b, _ in any_batches.recent_batches(agency=None)] == [newer.id, other.id, older.id]
    assert [b.id for b, _ in any_batches.recent_batches(agency=None, limit=1)] == [newer.id]


def test_a_paused_batch_hands_out_nothing_until_the_pause_is_over(any_batches):
    batch, moment = _batch(any_batches, entries=2), now()
    first = any_batches.take_batch_entry(batch.id, worker="a", now=moment, lease=timedelta(minutes=5))
    because = {"code": "storage_unavailable", "message": "the store is down"}
    any_batches.pause_batch(batch.id, until=moment + timedelta(minutes=5), because=because)
    assert (any_batches.batch(batch.id).paused_until, any_batches.batch(batch.id).paused_because) == \
        (moment + timedelta(minutes=5), because)
    for at in (moment, moment + timedelta(minutes=4, seconds=59)):
        assert any_batches.take_batch_entry(batch.id, worker="b", now=at, lease=timedelta(minutes=5)) is None
    later = moment + timedelta(minutes=5, seconds=1)
    again = any_batches.take_batch_entry(batch.id, worker="b", now=later, lease=timedelta(minutes=5))
    assert (again.number, again.attempts) == (first.number, 2)  # the entry the fault was met on, first
    assert any_batches.take_batch_entry(batch.id, worker="c", now=later, lease=timedelta(minutes=5)).number == 2


def test_a_cancelled_batch_hands_out_nothing_more(any_batches):
    batch = _batch(any_batches, entries=4)
    running = any_batches.take_batch_entry(batch.id, worker="a", now=now(), lease=timedelta(minutes=5))
    assert any_batches.cancel_batch(batch.id, now=now()) == 3
    assert any_batches.take_batch_entry(batch.id, worker="b", now=now(), lease=timedelta(minutes=5)) is None
    assert [e.state for e in any_batches.batch_entries(batch.id)] == ["running", "cancelled", "cancelled", "cancelled"]
    assert any_batches.finish_batch(batch.id, now=now()) is False
    # its worker died: the entry begun before the cancel is handed out again once its lease passes
    later = now() + timedelta(minutes=6)
    again = any_batches.take_batch_entry(batch.id, worker="c", now=later, lease=timedelta(minutes=5))
    assert (again.number, again.attempts) == (running.number, 2)
    any_batches.end_batch_entry(dataclasses.replace(again, state="done", record_id="rec_x"), now=later)
    assert any_batches.take_batch_entry(batch.id, worker="c", now=later, lease=timedelta(minutes=5)) is None
    assert any_batches.finish_batch(batch.id, now=later) is True


def test_racing_workers_never_take_the_same_entry(any_batches):
    batch = _batch(any_batches, entries=40)
    taken: list[int] = []

    def work(worker: str) -> None:
        while (entry := any_batches.take_batch_entry(batch.id, worker=worker, now=now(),
                                                     lease=timedelta(minutes=5))) is not None:
            taken.append(entry.number)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == list(range(1, 41))

