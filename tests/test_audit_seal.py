"""Daily seals of the audit log: segments in the store, signed and locked; edits after sealing named.

On the unit stack: the sealer's clock is moved to tomorrow (the day of the entries is over); the
database is tampered with through SQL, as someone with access to it would.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from forms_service.audit.chain import row_hash
from forms_service.audit.seals import segment_key
from forms_service.catalog import NewAuditEvent
from forms_service.catalog.models import AuditEventRow, AuditHeadRow
from forms_service.errors import SigningFailed, StorageFailed
from forms_service.taiwan import TAIPEI
from signing.detached import verify_detached


@pytest.fixture
def logged(fake_components):
    for i in range(5):
        fake_components.catalog.audit(NewAuditEvent(actor="user:alice", agency="379000000A", action="record.download",
                                                     record_id=f"rec_{i}", source_ip="10.0.0.7",
                                                     detail={"purpose": "稽核"}))
    return fake_components


def test_a_finished_day_is_sealed_once_signed_and_locked(logged, clock):
    today = clock.now().astimezone(TAIPEI).date()
    assert logged.sealer.seal_pending() == []  # today is not over
    clock.advance(days=1)
    seals = logged.sealer.seal_pending()
    assert [s.day for s in seals] == [today] and seals[0].count == 5
    assert logged.sealer.seal_pending() == []  # sealed already
    data = logged.store.get(segment_key(today), seals[0].object_version)
    header, *lines = [json.loads(line) for line in data.decode().splitlines()]
    assert header["count"] == 5 and [line["record_id"] for line in lines] == [f"rec_{i}" for i in range(5)]
    signature = logged.store.get(segment_key(today) + ".p7s", seals[0].signature_version)
    assert verify_detached(data, signature, logged.trust_roots).ok
    info = logged.store.head(segment_key(today), seals[0].object_version)
    assert info.retention is not None and info.retention.until > clock.now() + timedelta(days=365)
    assert logged.sealer.verify().ok
    assert logged.catalog.audit_events(limit=1)[0].action == "audit.seal"


def test_an_entry_edited_after_sealing_is_named_even_with_its_chain_recomputed(logged, clock):
    clock.advance(days=1)
    logged.sealer.seal_pending()
    catalog = logged.catalog
    with catalog.engine.begin() as db:  # a forger who edits an entry and rewrites the whole chain after it
        db.execute(update(AuditEventRow).where(AuditEventRow.record_id == "rec_2").values(record_id="rec_forged"))
        previous = ""
        for row in db.execute(select(AuditEventRow).order_by(AuditEventRow.id)).all():
            prev_hash = previous or row.prev_hash
            previous = row_hash(prev_hash, row)
            db.execute(update(AuditEventRow).where(AuditEventRow.id == row.id)
                       .values(prev_hash=prev_hash, hash=previous))
        db.execute(update(AuditHeadRow).values(hash=previous))
    assert catalog.verify_audit_chain()[1] == ""  # the chain alone no longer tells
    problems = logged.sealer.verify().problems
    forged = next(e for e in catalog.audit_events() if e.record_id == "rec_forged")
    assert problems[0] == (f"entry {forged.id} (record.download) differs from the sealed day "
                           f"{forged.at.astimezone(TAIPEI).date()} (changed in the database after sealing: record_id)")
    assert problems[1].startswith(f"2 entries from {forged.id + 1} on carry other chain hashes")
    assert len(problems) == 2


def test_a_deleted_entry_and_the_segments_outlive_the_database(logged, clock):
    clock.advance(days=1)
    seals = logged.sealer.seal_pending()
    with logged.catalog.engine.begin() as db:
        db.execute(delete(AuditEventRow).where(AuditEventRow.record_id == "rec_0"))
    assert any("missing from the database" in p for p in logged.sealer.verify().problems)
    # Without any database: the segment and its signature alone still prove the day.
    data = logged.store.get(seals[0].object_key, seals[0].object_version)
    assert b'"rec_0"' in data


def test_days_are_sealed_back_to_back_and_each_seal_is_logged_in_the_next_day(logged, clock):
    clock.advance(days=1)
    first = logged.sealer.seal_pending()
    logged.catalog.audit(NewAuditEvent(actor="user:alice", action="login"))
    clock.advance(days=2)
    later = logged.sealer.seal_pending()
    assert [s.day for s in later] == [first[0].day + timedelta(days=1), first[0].day + timedelta(days=2)]
    assert later[0].prev_hash == first[0].last_hash and later[1].prev_hash == later[0].last_hash
    # (the entries' own times are the machine's: every one is written today) the first seal's entry
    # and the login are in the second segment, the second seal's entry in the third
    assert later[0].count == 2 and later[1].count == 1
    assert logged.sealer.verify().ok


def test_a_store_that_is_down_leaves_no_seal(logged, clock, memory_store):
    memory_store.available = False
    clock.advance(days=1)
    with pytest.raises(StorageFailed, match="could not be stored"):
        logged.sealer.seal_pending()
    assert logged.catalog.audit_seals() == []


def test_a_signer_that_is_gone_leaves_no_seal_and_nothing_in_the_store(logged, clock, memory_store):
    from signing import SignerUnavailable

    class AbsentToken:
        def signer(self):
            raise SignerUnavailable("the signing token is not present")

        def close(self):
            pass

    import dataclasses

    broken = dataclasses.replace(logged, signer=AbsentToken())
    clock.advance(days=1)
    with pytest.raises(SigningFailed, match="token is not present"):
        broken.sealer.seal_pending()
    assert logged.catalog.audit_seals() == [] and memory_store.snapshot() == {}


def test_the_sealed_segments_verify_on_the_real_store_with_the_demo_tsa(app_components):
    """Sealing on SeaweedFS with a timestamped signature from the demo PKI."""

    from forms_service.clock import FixedClock

    for i in range(3):
        app_components.catalog.audit(NewAuditEvent(actor="user:alice", action="record.read", record_id=f"rec_{i}"))
    tomorrow = app_components.sharing(clock=FixedClock(app_components.clock.now() + timedelta(days=1)))
    [seal] = tomorrow.sealer.seal_pending()
    assert seal.count == 3 and tomorrow.sealer.verify().ok
    signature = app_components.store.get(seal.signature_key, seal.signature_version)
    data = app_components.store.get(seal.object_key, seal.object_version)
    assert verify_detached(data, signature, app_components.trust_roots).timestamp is not None
