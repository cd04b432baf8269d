"""Audit entries are committed in groups, each caller released only once its entry is durable,
the chain intact; a failed group fails every caller in it."""

from __future__ import annotations

import threading

import pytest

from forms_service.catalog import NewAuditEvent
from forms_service.catalog.groups import GroupCommitter
from forms_service.db.guard import CatalogUnavailable


def test_concurrent_entries_are_grouped_and_every_one_is_chained(catalog):
    start = threading.Barrier(16)
    errors: list[BaseException] = []

    def reader(n: int) -> None:
        start.wait()
        for i in range(25):
            try:
                catalog.audit(NewAuditEvent(actor=f"user:{n}", action="record.read", detail={"i": i}))
            except BaseException as err:  # collected for the assertion
                errors.append(err)

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    checked, problem = catalog.verify_audit_chain()
    assert (checked, problem) == (400, "")
    assert catalog._audit_groups.groups < 400  # some entries shared a transaction


def test_an_entry_is_durable_when_audit_returns(catalog, tmp_path):
    from forms_service.repositories import SqlCatalog

    catalog.audit(NewAuditEvent(actor="user:a", action="record.download"))
    other = SqlCatalog(catalog.url)  # another process's view
    try:
        assert [e.action for e in other.audit_events(limit=5)] == ["record.download"]
    finally:
        other.close()


def test_a_failed_group_fails_every_caller_in_it():
    entered, release = threading.Event(), threading.Event()
    seen: list[list[str]] = []

    def write_group(items: list[str]) -> None:
        if items == ["first"]:
            entered.set()
            release.wait(10)
            return
        seen.append(items)
        raise OSError("disk full")

    committer = GroupCommitter(write_group)
    outcomes: dict[str, str] = {}

    def call(item: str) -> None:
        try:
            committer.write(item, timeout=10)
            outcomes[item] = "ok"
        except OSError as err:
            outcomes[item] = str(err)

    first = threading.Thread(target=call, args=("first",))
    first.start()
    entered.wait(10)  # the writer is busy: the next two wait and go together
    others = [threading.Thread(target=call, args=(name,)) for name in ("second", "third")]
    for thread in others:
        thread.start()
    while committer._queue.qsize() < 2:  # both queued behind the first group
        threading.Event().wait(0.001)
    release.set()
    for thread in (first, *others):
        thread.join(10)
    committer.close()
    assert seen == [["second", "third"]]
    assert outcomes == {"first": "ok", "second": "disk full", "third": "disk full"}


def test_a_database_failure_reaches_the_caller_as_a_catalog_error(catalog):
    catalog.engine.dispose()
    with catalog.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE audit_events")
    with pytest.raises(CatalogUnavailable):
        catalog.audit(NewAuditEvent(actor="user:a", action="record.read"))
