"""Daily seals of the audit log: segments in the store, signed and locked; edits after sealing named."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from forms_service.audit_seal import seal_pending, segment_key, verify_seals
from forms_service.catalog import NewAuditEvent
from forms_service.catalog.chain import row_hash
from forms_service.catalog.models import AuditEvent, AuditHead
from forms_service.taiwan import TAIPEI
from signing.detached import verify_detached

TOMORROW = datetime.now(timezone.utc) + timedelta(days=1)


@pytest.fixture
def logged(app_components):
    for i in range(5):
        app_components.catalog.audit(NewAuditEvent(actor="user:alice", agency="379000000A", action="record.download",
                                                   record_id=f"rec_{i}", source_ip="10.0.0.7", detail={"purpose": "稽核"}))
    return app_components


def test_a_finished_day_is_sealed_once_signed_and_locked(logged):
    assert seal_pending(logged) == []  # today is not over
    seals = seal_pending(logged, now=TOMORROW)
    today = datetime.now(TAIPEI).date()
    assert [s.day for s in seals] == [today] and seals[0].count == 5
    assert seal_pending(logged, now=TOMORROW) == []  # sealed already
    data = logged.store.get(segment_key(today), seals[0].object_version)
    header, *lines = [json.loads(line) for line in data.decode().splitlines()]
    assert header["count"] == 5 and [line["record_id"] for line in lines] == [f"rec_{i}" for i in range(5)]
    signature = logged.store.get(segment_key(today) + ".p7s", seals[0].signature_version)
    assert verify_detached(data, signature, logged.trust_roots).ok
    info = logged.store.head(segment_key(today), seals[0].object_version)
    assert info.retention is not None and info.retention.until > TOMORROW + timedelta(days=365)
    assert verify_seals(logged).ok
    assert logged.catalog.audit_events(limit=1)[0].action == "audit.seal"


def test_an_entry_edited_after_sealing_is_named_even_with_its_chain_recomputed(logged):
    seal_pending(logged, now=TOMORROW)
    catalog = logged.catalog
    with catalog._sessions.begin() as s:
        s.execute(update(AuditEvent).where(AuditEvent.record_id == "rec_2").values(record_id="rec_forged"))
        previous = ""
        for row in s.query(AuditEvent).order_by(AuditEvent.id):  # a forger who rewrites the whole chain
            row.prev_hash = previous or row.prev_hash
            row.hash = row_hash(row.prev_hash, row)
            previous = row.hash
        s.execute(update(AuditHead).values(hash=previous))
    assert catalog.verify_audit_chain()[1] == ""  # the chain alone no longer tells
    problems = verify_seals(logged).problems
    forged = next(e for e in catalog.audit_events() if e.record_id == "rec_forged")
    assert problems[0] == (f"entry {forged.id} (record.download) differs from the sealed day {forged.at.astimezone(TAIPEI).date()} "
                           "(changed in the database after sealing: record_id)")
    assert problems[1].startswith(f"2 entries from {forged.id + 1} on carry other chain hashes")
    assert len(problems) == 2


def test_a_deleted_entry_and_the_segments_outlive_the_database(logged):
    seals = seal_pending(logged, now=TOMORROW)
    with logged.catalog._sessions.begin() as s:
        s.query(AuditEvent).filter(AuditEvent.record_id == "rec_0").delete()
    assert any("missing from the database" in p for p in verify_seals(logged).problems)
    # Without any database: the segment and its signature alone still prove the day.
    data = logged.store.get(seals[0].object_key, seals[0].object_version)
    assert b'"rec_0"' in data


def test_days_are_sealed_back_to_back_and_each_seal_is_logged_in_the_next_day(logged):
    first = seal_pending(logged, now=TOMORROW)
    logged.catalog.audit(NewAuditEvent(actor="user:alice", action="login"))
    later = seal_pending(logged, now=TOMORROW + timedelta(days=2))
    assert [s.day for s in later] == [first[0].day + timedelta(days=1), first[0].day + timedelta(days=2)]
    assert later[0].prev_hash == first[0].last_hash and later[1].prev_hash == later[0].last_hash
    # (the clock is not moved: every entry is written now) the first seal's event and the login are in
    # the second segment, the second seal's event in the third
    assert later[0].count == 2 and later[1].count == 1
    assert verify_seals(logged).ok


def test_a_store_that_is_down_leaves_no_seal(logged, monkeypatch):
    from storage import StoreUnavailable

    from forms_service.errors import StorageFailed

    def refuse(*args, **kwargs):
        raise StoreUnavailable("connection refused")

    monkeypatch.setattr(logged.store, "put", refuse)
    with pytest.raises(StorageFailed):
        seal_pending(logged, now=TOMORROW)
    assert logged.catalog.audit_seals() == []
