"""The catalog's contract (records, the audit log, drafts and profiles, retried requests) and the composite
of every concern's repository the edges hold, on every backend: SQLite and PostgreSQL (a private cluster).
Each other concern's repository has its own suite beside this one (``test_*_store.py``)."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import re
import threading
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

import forms_service
from forms_service.access.store import SqlAccounts
from forms_service.access.values import AccessCatalog
from forms_service.catalog import (
    AuditLog,
    CatalogUnavailable,
    IdempotencyKeys,
    NewAuditEvent,
    NewAuditSeal,
    NewRecord,
    NewVersion,
    RecordCatalog,
    RecordFilter,
    WorkCatalog,
)
from forms_service.catalog.sql import SqlRecords
from forms_service.connections.store import SqlOversight
from forms_service.connections.values import Oversight
from forms_service.db.migrate import current, head
from forms_service.errors import ServiceUnavailable
from forms_service.jobs.store import SqlBatches
from forms_service.jobs.values import Batches
from forms_service.notify.store import MailClaims, SqlMailClaims
from forms_service.querylog.store import SqlQueryLog
from forms_service.querylog.values import QueryEventLog, QueryReview
from forms_service.repositories import Catalog, SqlCatalog
from storage.seaweed import free_port


def dead_catalog() -> SqlCatalog:
    return SqlCatalog(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none?connect_timeout=2")


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
    for part in (RecordCatalog, AuditLog, WorkCatalog, IdempotencyKeys, AccessCatalog, QueryEventLog, QueryReview,
                 MailClaims, Oversight, Batches):
        assert isinstance(any_catalog, part)


# Each concern's repository and the protocols it implements; the composite adds the schema.
REPOSITORIES = {
    SqlRecords: (RecordCatalog, AuditLog, WorkCatalog, IdempotencyKeys),
    SqlAccounts: (AccessCatalog,),
    SqlQueryLog: (QueryEventLog, QueryReview),
    SqlMailClaims: (MailClaims,),
    SqlOversight: (Oversight,),
    SqlBatches: (Batches,),
    SqlCatalog: (),
}


def _public_methods(cls) -> set[str]:
    return {name for name, member in vars(cls).items() if not name.startswith("_") and inspect.isfunction(member)}


@pytest.mark.parametrize("repository", REPOSITORIES, ids=lambda cls: cls.__name__)
def test_every_public_method_of_a_repository_is_on_its_protocols(repository):
    described = set().union(*(_public_methods(p) for p in REPOSITORIES[repository]), _public_methods(Catalog))
    assert _public_methods(repository) <= described


def test_the_repositories_together_implement_every_protocol_and_nothing_more():
    implemented = set().union(*(_public_methods(cls) for cls in REPOSITORIES))
    described = set().union(*(_public_methods(p) for protocols in REPOSITORIES.values() for p in protocols),
                            _public_methods(Catalog))
    assert implemented == described


def test_no_two_repositories_define_the_same_method():
    """The composite inherits from each: a name defined twice would silently answer from one of them."""
    seen: dict[str, str] = {}
    for cls in REPOSITORIES:
        for name in _public_methods(cls) - {"close", "ping"} if cls is SqlCatalog else _public_methods(cls):
            assert name not in seen, f"{name} in {seen.get(name)} and {cls.__name__}"
            seen[name] = cls.__name__


@pytest.mark.parametrize("repository", REPOSITORIES, ids=lambda cls: cls.__name__)
def test_every_public_method_translates_database_errors(repository):
    untranslated = [name for name in _public_methods(repository)
                    if not getattr(getattr(repository, name), "__catalog_translated__", False)]
    assert untranslated == []


def test_a_method_that_forgets_the_translation_is_refused_at_definition():
    from forms_service.db.guard import translating_database_errors

    with pytest.raises(TypeError, match="reads_rows"):
        @translating_database_errors
        class Careless:
            def reads_rows(self):
                return []


@pytest.mark.parametrize("call", [
    lambda c: c.reserve_idempotency_key("actor", "k", "hash"),
    lambda c: c.get_record("rec_x"),
    lambda c: c.audit(NewAuditEvent(actor="a", action="record.read")),
    lambda c: c.add_audit_seal(seal(date(2026, 1, 1)), NewAuditEvent(actor="a", action="audit.seal")),
], ids=["reserve_idempotency_key", "get_record", "audit", "add_audit_seal"])
def test_an_unreachable_database_is_catalog_unavailable_with_a_sentence(call):
    with pytest.raises(CatalogUnavailable, match="^cannot .*: the catalog database failed"):
        call(dead_catalog())


def test_reads_return_frozen_values_not_database_rows(any_catalog):
    any_catalog.add_record(record("rec_1"), version(), event("rec_1"))
    any_catalog.add_token("h" * 64, prefix="fst_x", agency="379000000A", role="clerk", label="x")
    values = [any_catalog.get_record("rec_1"), any_catalog.get_record("rec_1").versions[0],
              any_catalog.audit_events()[0], any_catalog.token_by_hash("h" * 64, now=now())]
    for value in values:
        assert dataclasses.is_dataclass(value) and value.__dataclass_params__.frozen, type(value)


def test_the_schema_is_at_the_latest_migration(any_catalog):
    """Every concern's branch at its newest revision: the catalog's chain and the later concerns'."""
    assert current(any_catalog.engine) == "0022 filing_0001 signers_0001" == head()


def test_the_migrations_match_the_models(any_catalog):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from forms_service.db.base import Base

    for module in _modules_with_rows():
        importlib.import_module(module)

    with any_catalog.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def _modules_with_rows() -> list[str]:
    package = Path(forms_service.__file__).parent
    return sorted(".".join(path.relative_to(package.parent).with_suffix("").parts)
                  for path in package.rglob("*.py") if re.search(r"^class \w+\(Base\):", path.read_text(), re.M))


def test_the_migration_environment_loads_every_concerns_rows():
    """A concern's rows that env.py does not import would be invisible to autogenerate (and dropped)."""
    environment = (Path(forms_service.__file__).parent / "db" / "migrations" / "env.py").read_text()
    assert len(_modules_with_rows()) >= 8
    assert [m for m in _modules_with_rows() if f"import {m}" not in environment] == []


def test_a_record_its_version_and_its_audit_event_are_written_together(any_catalog):
    any_catalog.add_record(record("rec_1"), version(hashes=("b" * 64,)), event("rec_1"))
    stored = any_catalog.get_record("rec_1")
    assert stored.input["party"]["note"] == "𡘙😀"
    assert [v.number for v in stored.versions] == [1]
    assert stored.created_at.tzinfo is not None
    assert [e.action for e in any_catalog.audit_events(record_id="rec_1")] == ["record.create"]


def test_a_record_is_read_whole_its_versions_in_order_with_their_revisions_and_subjects(any_catalog):
    from dataclasses import replace

    any_catalog.add_record(replace(record("rec_1"), subjects=("24536806", "03795904")),
                           version(1, hashes=("b" * 64, "c" * 64)), event("rec_1"))
    any_catalog.add_version("rec_1", version(2, sha="9" * 64), event("rec_1", "record.countersign"))
    any_catalog.add_record(record("rec_2"), version(1, sha="8" * 64, hashes=("d" * 64,)), event("rec_2"))
    stored = any_catalog.get_record("rec_1")
    assert [(v.number, v.sha256, v.revision_hashes) for v in stored.versions] == [
        (1, "a" * 64, ("b" * 64, "c" * 64)), (2, "9" * 64, ())]
    assert stored.subjects == ("03795904", "24536806")
    assert stored.versions[0].signature_report == [{"kind": "signature", "ok": True}]
    assert stored.versions[0].retain_until.tzinfo is not None and stored.period_end == date(2028, 12, 31)
    assert any_catalog.get_record("rec_2").subjects == ()
    assert any_catalog.get_record("rec_3") is None


def test_a_failed_write_leaves_nothing(any_catalog):
    any_catalog.add_record(record("rec_1"), version(), event("rec_1"))
    with pytest.raises(ServiceUnavailable):
        any_catalog.add_record(record("rec_1"), version(), event("rec_1"))  # same id: refused
    assert len(any_catalog.audit_events(record_id="rec_1")) == 1
    assert len(any_catalog.find_records(RecordFilter())) == 1


def test_reads_scoped_to_an_agency_never_return_anothers_records(any_catalog):
    any_catalog.add_record(record("rec_a"), version(), event("rec_a"))
    any_catalog.add_record(record("rec_b", agency="臺中市政府", code="376000000A"), version(sha="c" * 64),
                           event("rec_b"))
    assert any_catalog.get_record("rec_b", agency="379000000A") is None
    assert any_catalog.get_record("rec_b", agency="376000000A") is not None
    assert [r.id for r in any_catalog.find_records(RecordFilter(agency="379000000A"))] == ["rec_a"]


def test_versions_are_found_by_hash_and_by_earlier_revision(any_catalog):
    any_catalog.add_record(record("rec_1"), version(sha="d" * 64, hashes=("e" * 64,)), event("rec_1"))
    whole, is_whole = any_catalog.find_version_by_hash("d" * 64)
    assert is_whole and whole.record_id == "rec_1"
    part, is_whole = any_catalog.find_version_by_hash("e" * 64)
    assert not is_whole and part.record_id == "rec_1" and part.revision_hashes == ("e" * 64,)
    assert any_catalog.find_version_by_hash("f" * 64) is None


def test_the_latest_version_of_each_record(any_catalog):
    any_catalog.add_record(record("rec_1"), version(1), event("rec_1"))
    any_catalog.add_version("rec_1", version(2, sha="9" * 64), event("rec_1", "record.countersign"))
    assert [(v.record_id, v.number) for v in any_catalog.latest_versions()] == [("rec_1", 2)]
    assert len(any_catalog.all_versions()) == 2


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
    with pytest.raises(ServiceUnavailable, match="catalog"):
        dead_catalog().ping()


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
    assert found(subject="22099131", agency="376000000A") == ["rec_3"]
    assert found(limit=2, offset=0) == ["rec_0", "rec_1"] and len(found(limit=2, offset=2)) == 2


def _fill_log(catalog, n=5):
    catalog.add_record(record("rec_1"), version(), event("rec_1"))
    for i in range(n - 1):
        catalog.audit(NewAuditEvent(actor="clerk", action="record.read", record_id="rec_1",
                                    detail={"i": i, "案號": "北市"}))


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

    _fill_log(any_catalog)
    with any_catalog.engine.begin() as connection:
        connection.execute(text(tamper))
    checked, problem = any_catalog.verify_audit_chain()
    assert expected in problem and checked < 5


def test_concurrent_audit_writes_keep_one_unbroken_chain(any_catalog):

    _fill_log(any_catalog, 1)
    start = threading.Barrier(16)

    def writer(n: int) -> None:
        start.wait()
        for i in range(10):
            any_catalog.audit(NewAuditEvent(actor=f"t{n}", action="record.read", detail={"i": i}))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert any_catalog.verify_audit_chain() == (161, "")
    # Groups of several entries were written, each entry still chained in id order.
    assert any_catalog._audit_groups.groups < 160
    events = any_catalog.audit_events(limit=200)
    assert sorted(e.detail["i"] for e in events if e.actor == "t3") == list(range(10))


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


def seal(day: date) -> NewAuditSeal:
    return NewAuditSeal(day=day, first_id=1, last_id=1, count=1, prev_hash="0" * 64, last_hash="1" * 64,
                        object_key=f"audit/{day}", object_version="v", sha256="2" * 64, signature_key="s",
                        signature_version="v", retain_until=now() + timedelta(days=1), sealed_at=now())


def test_a_day_is_sealed_once(any_catalog):
    assert any_catalog.add_audit_seal(seal(date(2026, 11, 26)), event("", "audit.seal")) is True
    assert any_catalog.add_audit_seal(seal(date(2026, 11, 25)), event("", "audit.seal")) is True
    assert any_catalog.add_audit_seal(seal(date(2026, 11, 26)), event("", "audit.seal")) is False
    assert [s.day for s in any_catalog.audit_seals()] == [date(2026, 11, 25), date(2026, 11, 26)]
    assert any_catalog.verify_audit_chain() == (2, "")  # the refused seal wrote no audit entry


def test_a_lock_change_is_recorded_with_its_audit_entry(any_catalog):
    any_catalog.add_record(record("rec_1"), version(), event("rec_1"))
    later = now() + timedelta(days=4000)
    any_catalog.update_version_lock("rec_1", 1, event("rec_1", "record.hold"), legal_hold=True, retain_until=later)
    [stored] = any_catalog.get_record("rec_1").versions
    assert stored.legal_hold and abs((stored.retain_until - later).total_seconds()) < 1
    assert [e.action for e in any_catalog.audit_events(record_id="rec_1")] == ["record.hold", "record.create"]


def test_records_past_retention_are_requested_and_disposed_of_leaving_a_tombstone(any_catalog):
    from forms_service.catalog import NewTombstone

    expired = dataclasses.replace(version(), retain_until=now() - timedelta(days=1))
    any_catalog.add_record(record("rec_old"), expired, event("rec_old"))
    any_catalog.add_record(record("rec_new"), version(sha="b" * 64), event("rec_new"))
    assert [r.id for r in any_catalog.records_past_retention(now())] == ["rec_old"]
    any_catalog.add_tombstone(NewTombstone(
        record_id="rec_old", form_id="annex2-agreement", agency_name="臺北市政府財政局", title="t",
        versions=[{"number": 1}], requested_by="alice", request_reason="保存期限屆滿", requested_at=now(),
    ), event("rec_old", "record.dispose.request"))
    assert any_catalog.get_record("rec_old").status == "disposal-requested"
    assert any_catalog.records_past_retention(now()) == []
    any_catalog.complete_disposal("rec_old", approved_by="bob", disposed_at=now(), certificate_key="dispositions/x",
                                  certificate_version="v1", event=event("rec_old", "record.dispose"))
    gone = any_catalog.get_record("rec_old")
    assert gone.status == "disposed" and gone.versions == () and gone.input == {}
    tombstone = any_catalog.tombstone("rec_old")
    assert tombstone.approved_by == "bob" and tombstone.certificate_key == "dispositions/x"
    assert any_catalog.verify_audit_chain()[1] == ""


def test_a_draft_is_saved_replaced_listed_within_its_agency_and_deleted(any_catalog):
    at = now()
    any_catalog.save_draft(draft_id="drf_1", agency="379000000A", form_id="annex2-agreement", title="約定書",
                           data={"purpose": "稽徵", "名": "𡘙"}, by="user:sara", now=at)
    later = any_catalog.save_draft(draft_id="drf_1", agency="379000000A", form_id="annex2-agreement",
                                   title="約定書（修正）", data={"purpose": "稽徵業務"}, by="user:sara",
                                   now=at + timedelta(minutes=5))
    assert later.created_at == at and later.updated_at == at + timedelta(minutes=5)
    assert any_catalog.draft("drf_1", agency="379000000A").data == {"purpose": "稽徵業務"}
    assert any_catalog.draft("drf_1", agency="387000000A") is None
    assert [d.id for d in any_catalog.drafts(agency="379000000A")] == ["drf_1"]
    assert any_catalog.drafts(agency="387000000A") == []
    with pytest.raises(ValueError):
        any_catalog.save_draft(draft_id="drf_1", agency="387000000A", form_id="annex2-agreement", title="x",
                               data={}, by="user:bob", now=at)
    assert any_catalog.delete_draft("drf_1") and not any_catalog.delete_draft("drf_1")
    assert any_catalog.draft("drf_1") is None


def test_an_agency_profile_is_kept_by_code(any_catalog):
    assert any_catalog.agency_profile("379000000A") is None
    any_catalog.set_agency_profile("379000000A", {"name": "臺北市政府財政局"}, by="user:admin", now=now())
    any_catalog.set_agency_profile("379000000A", {"name": "臺北市政府財政局", "address": "市府路1號"},
                                   by="user:admin", now=now())
    profile = any_catalog.agency_profile("379000000A")
    assert profile.data["address"] == "市府路1號" and profile.updated_by == "user:admin"
    assert [p.code for p in any_catalog.agency_profiles()] == ["379000000A"]


def test_connections_are_found_by_their_parties_and_read_with_their_records(any_catalog):
    """GIVEN two connections (their first 附件1) and records of one of them, one countersigned
    WHEN they are found by agency, by 資料使用單位 and system, and read
    THEN each query finds exactly its own, newest first; applications come with their input, the
    others without it; the countersignature is seen."""
    def member(record_id, form_id, connection_id, *, unit="379010000A", system="稅務系統", ago=0, code="379000000A",
               data=None):
        return dataclasses.replace(record(record_id, code=code), form_id=form_id, connection_id=connection_id,
                                   user_unit_code=unit, system_name=system, created_at=now() - timedelta(hours=ago),
                                   input=data or {"related_record": "x", "entries": ["big"]})

    first = member("rec_app1", "annex1-interface", "rec_app1", ago=5, data={"application_type": "new"})
    second = member("rec_app2", "annex1-copy", "rec_app2", unit="382010000A", system="地價系統", ago=4,
                    code="382000000A", data={"application_type": "new"})
    agreement = member("rec_agr", "annex2-agreement", "rec_app1", ago=3)
    register = member("rec_reg", "annex5-query-log", "rec_app1", ago=2, code="379010000A")
    loose = member("rec_loose", "annex2-agreement", "", ago=1)
    for new in (first, second, agreement, register, loose):
        any_catalog.add_record(new, version(sha=new.id[-1] * 64), event(new.id))
    any_catalog.add_version("rec_agr", dataclasses.replace(version(2, sha="c" * 64), reason="countersigned"),
                            event("rec_agr"))

    assert any_catalog.connection_ids() == ["rec_app2", "rec_app1"]
    assert any_catalog.connection_ids(agency="379010000A") == ["rec_app1"]
    assert any_catalog.connection_ids(agency="382000000A") == ["rec_app2"]
    assert any_catalog.connection_ids(user_unit="379010000A", system="稅務系統") == ["rec_app1"]
    assert any_catalog.connection_ids(user_unit="379010000A", system="地價系統") == []
    members = any_catalog.connection_members(["rec_app1"])
    assert [(m.id, m.countersigned) for m in members] == [("rec_app1", False), ("rec_agr", True), ("rec_reg", False)]
    assert members[0].input == {"application_type": "new"} and members[2].input == {}
    assert members[1].related_record == "x" and members[2].agency_code == "379010000A"
    assert any_catalog.connection_members([]) == []


def test_a_user_units_acknowledgement_is_kept_once_with_its_audit_entry(any_catalog):
    from forms_service.catalog import ConnectionAck

    ack = ConnectionAck(connection_id="rec_app1", agency="379010000A", by="user:wang", at=now())
    assert any_catalog.add_connection_ack(ack, event("rec_app1"))
    assert not any_catalog.add_connection_ack(dataclasses.replace(ack, by="user:lee"), event("rec_app1"))
    [kept] = any_catalog.connection_acks(["rec_app1", "rec_other"])
    assert (kept.agency, kept.by) == ("379010000A", "user:wang") and kept.at.tzinfo is not None
    assert any_catalog.connection_acks(["rec_other"]) == []
    assert any_catalog.verify_audit_chain()[1] == ""


def test_audit_times_come_from_the_databases_clock(any_catalog, monkeypatch):
    """On PostgreSQL, shared by instances, an entry's time is the database's — never a host's clock,
    which may be off (here: a host that thinks it is 2001); SQLite is one host's file."""
    from forms_service.audit import store

    monkeypatch.setattr(store, "_now", lambda: datetime(2001, 1, 1, tzinfo=timezone.utc))
    any_catalog.audit(NewAuditEvent(actor="a", action="record.read"))
    [entry] = any_catalog.audit_events(limit=1)
    expected = 2001 if any_catalog.engine.dialect.name == "sqlite" else datetime.now(timezone.utc).year
    assert entry.at.year == expected
    assert any_catalog.verify_audit_chain()[1] == ""


def test_objects_set_aside_are_recorded_once_with_their_audit_entry(any_catalog):
    from forms_service.catalog import SetAsideObject

    left = [SetAsideObject("records/f/rec_1/v1.pdf", "v9", "rec_1", "left by an interrupted filing", now())]
    any_catalog.set_aside(left, event("rec_1", "record.set-aside"))
    any_catalog.set_aside(left, event("rec_1", "record.set-aside"))  # taken over twice: still one row
    assert [(o.key, o.version_id) for o in any_catalog.set_aside_objects()] == [("records/f/rec_1/v1.pdf", "v9")]
    assert [e.action for e in any_catalog.audit_events()] == ["record.set-aside"] * 2


def test_a_record_waits_for_the_block_its_newest_version_lacks_until_a_signer_returns_it(any_catalog):
    import dataclasses

    signed = [{"kind": "signature", "field": "party", "ok": True}]
    any_catalog.add_record(dataclasses.replace(record("rec_w"), signing_order=("party", "provider")),
                           dataclasses.replace(version(1), signature_report=signed), event("rec_w"))
    any_catalog.add_record(record("rec_old"), version(1, sha="b" * 64), event("rec_old"))  # before signing orders
    assert [r.id for r in any_catalog.records_awaiting_signature()] == ["rec_w"]
    assert any_catalog.get_record("rec_w").awaiting == "provider"
    assert any_catalog.records_awaiting_signature(agency="387000000A") == []
    both = [*signed, {"kind": "signature", "field": "provider", "ok": True}]
    any_catalog.add_version("rec_w", dataclasses.replace(version(2, sha="c" * 64), signature_report=both),
                            event("rec_w", "record.countersign"))
    assert any_catalog.get_record("rec_w").awaiting == "" and any_catalog.records_awaiting_signature() == []

    any_catalog.add_record(dataclasses.replace(record("rec_r"), signing_order=("party", "provider")),
                           dataclasses.replace(version(1, sha="d" * 64), signature_report=signed), event("rec_r"))
    any_catalog.end_signing("rec_r", event("rec_r", "record.return"))
    assert any_catalog.records_awaiting_signature() == []
    assert [r.id for r in any_catalog.records_returned()] == ["rec_r"]
    assert any_catalog.records_returned(agency="387000000A") == []
    any_catalog.add_version("rec_r", dataclasses.replace(version(2, sha="e" * 64), signature_report=signed),
                            event("rec_r", "record.renew"))  # a renewed timestamp does not bring it back
    assert any_catalog.records_awaiting_signature() == []


def test_the_migration_finds_what_records_filed_before_it_wait_for(any_catalog):
    import dataclasses

    from alembic import command

    from forms_service.db.migrate import _config

    signed = [{"kind": "signature", "field": "officer", "ok": True}]
    any_catalog.add_record(dataclasses.replace(record("rec_m"), signing_order=("officer", "supervisor", "head")),
                           dataclasses.replace(version(1), signature_report=signed), event("rec_m"))
    from sqlalchemy import text

    with any_catalog.engine.begin() as connection:  # as a catalog of the release before it
        connection.execute(text("DROP INDEX ix_records_awaiting"))
        connection.execute(text("ALTER TABLE records DROP COLUMN awaiting"))
        command.stamp(_config(connection), "0021")
    with any_catalog.engine.begin() as connection:
        command.upgrade(_config(connection), "heads")
    assert any_catalog.get_record("rec_m").awaiting == "supervisor"
