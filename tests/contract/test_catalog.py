"""The Catalog contract, on every backend: SQLite and PostgreSQL (a private cluster)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from forms_service.catalog import Catalog, NewAuditEvent, NewRecord, NewVersion, RecordFilter
from forms_service.catalog.migrate import current
from forms_service.errors import ServiceUnavailable


def now() -> datetime:
    return datetime.now(timezone.utc)


def record(record_id: str, *, agency: str = "臺北市政府財政局", code: str = "379000000A") -> NewRecord:
    return NewRecord(id=record_id, form_id="annex2-agreement", agency_name=agency, agency_code=code,
                     user_unit_name="臺北市稅捐稽徵處", title=f"附件2（{agency}）", period_start=date(2026, 1, 1),
                     period_end=date(2028, 12, 31), input={"party": {"name": agency, "note": "𡘙😀"}},
                     created_at=now(), created_by="test")


def version(number: int = 1, sha: str = "a" * 64, hashes: tuple[str, ...] = ()) -> NewVersion:
    return NewVersion(number=number, object_key=f"records/x/v{number}.pdf", object_version=f"v{number}", sha256=sha,
                      size=10, pages=2, signatures=1, signature_report=[{"kind": "signature", "ok": True}],
                      retention_mode="GOVERNANCE", retain_until=now() + timedelta(days=400), created_at=now(),
                      revision_hashes=hashes)


def event(record_id: str, action: str = "record.create") -> NewAuditEvent:
    return NewAuditEvent(actor="test", action=action, record_id=record_id, agency="臺北市政府財政局")


def test_implements_the_protocol(any_catalog):
    assert isinstance(any_catalog, Catalog)


def test_the_schema_is_at_the_latest_migration(any_catalog):
    assert current(any_catalog.engine) == "0007"


def test_the_migrations_match_the_models(any_catalog):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from forms_service.catalog.models import Base

    with any_catalog.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_a_record_its_version_and_its_audit_event_are_written_together(any_catalog):
    any_catalog.add_record(record("rec_1"), version(hashes=("b" * 64,)), event("rec_1"))
    stored = any_catalog.get_record("rec_1")
    assert stored.input["party"]["note"] == "𡘙😀"
    assert [v.number for v in stored.versions] == [1]
    assert stored.created_at.tzinfo is not None
    assert [e.action for e in any_catalog.audit_events(record_id="rec_1")] == ["record.create"]


def test_a_failed_write_leaves_nothing(any_catalog):
    any_catalog.add_record(record("rec_1"), version(), event("rec_1"))
    with pytest.raises(ServiceUnavailable):
        any_catalog.add_record(record("rec_1"), version(), event("rec_1"))  # same id: refused
    assert len(any_catalog.audit_events(record_id="rec_1")) == 1
    assert len(any_catalog.find_records(RecordFilter())) == 1


def test_reads_scoped_to_an_agency_never_return_anothers_records(any_catalog):
    any_catalog.add_record(record("rec_a"), version(), event("rec_a"))
    any_catalog.add_record(record("rec_b", agency="臺中市政府", code="376000000A"), version(sha="c" * 64), event("rec_b"))
    assert any_catalog.get_record("rec_b", agency="379000000A") is None
    assert any_catalog.get_record("rec_b", agency="臺中市政府") is not None
    assert [r.id for r in any_catalog.find_records(RecordFilter(agency="臺北市政府財政局"))] == ["rec_a"]


def test_versions_are_found_by_hash_and_by_earlier_revision(any_catalog):
    any_catalog.add_record(record("rec_1"), version(sha="d" * 64, hashes=("e" * 64,)), event("rec_1"))
    whole, is_whole = any_catalog.find_version_by_hash("d" * 64)
    assert is_whole and whole.record_id == "rec_1"
    part, is_whole = any_catalog.find_version_by_hash("e" * 64)
    assert not is_whole and part.record_id == "rec_1" and part.revisions
    assert any_catalog.find_version_by_hash("f" * 64) is None


def test_the_latest_version_of_each_record(any_catalog):
    any_catalog.add_record(record("rec_1"), version(1), event("rec_1"))
    any_catalog.add_version("rec_1", version(2, sha="9" * 64), event("rec_1", "record.countersign"))
    assert [(v.record_id, v.number) for v in any_catalog.latest_versions()] == [("rec_1", 2)]
    assert len(any_catalog.all_versions()) == 2


def test_tokens_are_found_by_hash_and_revoked_by_label(any_catalog):
    any_catalog.add_token("h" * 64, prefix="fst_x", agency="379000000A", role="clerk", label="demo")
    assert any_catalog.token_by_hash("h" * 64).role == "clerk"
    assert any_catalog.revoke_tokens(label="demo") == 1
    assert any_catalog.token_by_hash("h" * 64) is None


def test_an_idempotency_key_is_reserved_once(any_catalog):
    assert any_catalog.reserve_idempotency_key("actor", "k", "hash") is None
    assert any_catalog.reserve_idempotency_key("actor", "k", "hash").state == "pending"
    any_catalog.complete_idempotency_key("actor", "k", {"record_id": "rec_1"})
    assert any_catalog.reserve_idempotency_key("actor", "k", "hash").response == {"record_id": "rec_1"}
    assert any_catalog.reserve_idempotency_key("other", "k", "hash") is None


def test_a_released_key_can_be_reserved_again(any_catalog):
    any_catalog.reserve_idempotency_key("actor", "k", "hash")
    any_catalog.release_idempotency_key("actor", "k")
    assert any_catalog.reserve_idempotency_key("actor", "k", "hash") is None


def test_an_unreachable_database_is_a_clear_error():
    from forms_service.catalog import SqlCatalog
    from storage.seaweed import free_port

    catalog = SqlCatalog(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2")
    with pytest.raises(ServiceUnavailable, match="catalog"):
        catalog.ping()


def test_search_by_agency_form_date_range_and_subject(any_catalog):
    from dataclasses import replace

    base = now()
    for i, (agency, code, form, days, subjects) in enumerate([
        ("臺北市政府財政局", "379000000A", "annex2-agreement", 0, ()),
        ("臺北市政府財政局", "379000000A", "annex5-query-log", 10, ("22099131", "53212539")),
        ("臺北市政府財政局", "379000000A", "annex5-query-log", 40, ("12345675",)),
        ("臺中市政府", "376000000A", "annex5-query-log", 10, ("22099131",)),
    ]):
        rec = replace(record(f"rec_{i}", agency=agency, code=code), form_id=form,
                      created_at=base - timedelta(days=days), subjects=subjects)
        any_catalog.add_record(rec, version(sha=str(i) * 64), event(rec.id))
    found = lambda **kw: sorted(r.id for r in any_catalog.find_records(RecordFilter(**kw)))  # noqa: E731
    assert found(agency="379000000A", form_id="annex5-query-log") == ["rec_1", "rec_2"]
    assert found(agency="379000000A", created_from=base - timedelta(days=20), created_until=base) == ["rec_1"]
    assert found(subject="22099131") == ["rec_1", "rec_3"]
    assert found(subject="22099131", agency="臺中市政府") == ["rec_3"]
    assert found(limit=2, offset=0) == ["rec_0", "rec_1"] and len(found(limit=2, offset=2)) == 2


def _fill_log(catalog, n=5):
    catalog.add_record(record("rec_1"), version(), event("rec_1"))
    for i in range(n - 1):
        catalog.audit(NewAuditEvent(actor="clerk", action="record.read", record_id="rec_1", detail={"i": i, "案號": "北市"}))


def test_an_untouched_audit_log_verifies(any_catalog):
    _fill_log(any_catalog)
    assert any_catalog.verify_audit_chain() == (5, "")


@pytest.mark.parametrize("tamper,expected", [
    ("UPDATE audit_events SET actor = 'someone else' WHERE id = 3", "entry 3 (record.read"),
    ("DELETE FROM audit_events WHERE id = 3", "entry 4"),
    ("UPDATE audit_events SET id = 99 WHERE id = 2", "entry 3"),
    ("DELETE FROM audit_events WHERE id = 5", "newest entries were removed"),
], ids=["edited", "deleted", "reordered", "truncated"])
def test_a_tampered_audit_log_fails_and_names_the_first_broken_entry(any_catalog, tamper, expected):
    from sqlalchemy import text

    _fill_log(any_catalog)
    with any_catalog.engine.begin() as connection:
        connection.execute(text(tamper))
    checked, problem = any_catalog.verify_audit_chain()
    assert expected in problem and checked < 5


def test_concurrent_audit_writes_keep_one_unbroken_chain(any_catalog):
    import threading

    _fill_log(any_catalog, 1)
    threads = [threading.Thread(target=lambda: [any_catalog.audit(NewAuditEvent(actor="t", action="record.read"))
                                                for _ in range(10)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert any_catalog.verify_audit_chain() == (41, "")


def test_refusals_are_counted_per_address_action_and_time(any_catalog):
    start = now()
    for ip, action, outcome in [("10.0.0.1", "auth", "refused"), ("10.0.0.1", "login", "refused"),
                                ("10.0.0.1", "auth", "ok"), ("10.0.0.1", "record.read", "refused"),
                                ("10.0.0.2", "auth", "refused")]:
        any_catalog.audit(NewAuditEvent(actor="x", action=action, outcome=outcome, source_ip=ip))
    assert any_catalog.refusals_from("10.0.0.1", since=start, actions=("auth", "login")) == 2
    assert any_catalog.refusals_from("10.0.0.1", since=now() + timedelta(seconds=1), actions=("auth",)) == 0


def test_audit_events_after_an_id_before_a_time_in_chain_order(any_catalog):
    for i in range(5):
        any_catalog.audit(event(f"rec_{i}", "record.read"))
    first = any_catalog.first_audit_event()
    after = any_catalog.audit_events_after(first.id, before=now() + timedelta(seconds=1), limit=3)
    assert [e.record_id for e in after] == ["rec_1", "rec_2", "rec_3"]
    assert any_catalog.audit_events_after(first.id, before=first.at) == []
    assert [e.record_id for e in any_catalog.audit_events_between(first.id + 1, first.id + 2)] == ["rec_1", "rec_2"]


def test_a_day_is_sealed_once(any_catalog):
    from forms_service.catalog.models import AuditSeal

    def seal(day):
        return AuditSeal(day=day, first_id=1, last_id=1, count=1, prev_hash="0" * 64, last_hash="1" * 64,
                         object_key=f"audit/{day}", object_version="v", sha256="2" * 64, signature_key="s",
                         signature_version="v", retain_until=now() + timedelta(days=1), sealed_at=now())

    assert any_catalog.add_audit_seal(seal(date(2026, 11, 26)), event("", "audit.seal")) is True
    assert any_catalog.add_audit_seal(seal(date(2026, 11, 25)), event("", "audit.seal")) is True
    assert any_catalog.add_audit_seal(seal(date(2026, 11, 26)), event("", "audit.seal")) is False
    assert [s.day for s in any_catalog.audit_seals()] == [date(2026, 11, 25), date(2026, 11, 26)]
    assert any_catalog.verify_audit_chain() == (2, "")  # the refused seal wrote no audit entry
