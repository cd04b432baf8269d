"""``archive verify`` and ``catalog rebuild``: the store must hold exactly what the catalog says,
intact — and the catalog can be recreated from the store alone.

Damage is done behind the service's back: through the memory store's backdoor, with the catalog
rows edited in SQL; on SeaweedFS with an independent S3 client.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy import delete, update

from forms_service.access import LOCAL_OPERATOR, Actor, Role
from forms_service.archive.integrity import rebuild, repair, verify_archive
from forms_service.archive.signatures import countersign
from forms_service.catalog import RecordFilter
from forms_service.catalog.models import RecordRow, RecordSubjectRow, RevisionHashRow, VersionRow
from forms_service.repositories import SqlCatalog
from storage.s3 import S3ObjectStore
from tests.conftest import load_example, signed_form

PROVIDER = Actor("p", "315000000H", Role.PROVIDER)


@pytest.fixture
def archived(fake_components):
    produced = signed_form(fake_components, "annex3-requirements", load_example("annex3-requirements"))
    fake_components.archive.submit(produced, LOCAL_OPERATOR)
    return fake_components


def test_a_clean_archive_verifies(archived):
    report = verify_archive(archived.catalog, archived.store)
    assert report.ok and report.checked == 1


def test_a_version_deleted_behind_the_services_back_is_named_missing(archived, memory_store):
    [version] = archived.catalog.all_versions()
    memory_store.delete_unchecked(version.object_key, version.object_version)  # an administrator bypassing locks
    report = verify_archive(archived.catalog, archived.store)
    assert not report.ok and report.missing and version.object_key in report.missing[0]


def test_an_object_altered_behind_the_services_back_is_named(archived, memory_store):
    [version] = archived.catalog.all_versions()
    # Other bytes under the catalogued key, claiming the catalogued digest; the catalog row pointed at them.
    forged = memory_store.put_unchecked(version.object_key, b"%PDF-altered", metadata={"sha256": version.sha256})
    with archived.catalog.engine.begin() as db:
        db.execute(update(VersionRow).values(object_version=forged))
    report = verify_archive(archived.catalog, archived.store)
    assert report.mismatched and version.object_key in report.mismatched[0]


def test_an_object_the_catalog_does_not_know_is_named_orphaned(archived):
    archived.store.put("records/annex3-requirements/rec_orphan/v1.pdf", b"%PDF-orphan", content_type="application/pdf",
                       metadata={"record-id": "rec_orphan"})
    report = verify_archive(archived.catalog, archived.store)
    assert [o for o in report.orphaned if "rec_orphan" in o]


def test_repair_adds_a_version_whose_catalog_write_was_lost(archived):
    with archived.catalog.engine.begin() as db:  # the catalog write that failed after the put
        for table in (RevisionHashRow, VersionRow, RecordSubjectRow, RecordRow):
            db.execute(delete(table))
    assert not verify_archive(archived.catalog, archived.store).ok  # both objects orphaned now
    fixed = repair(archived.catalog, archived.store, LOCAL_OPERATOR)
    assert (fixed.records, fixed.versions) == (1, 1)
    assert verify_archive(archived.catalog, archived.store).ok


def _rows(catalog) -> list:
    """Everything the catalog holds of each record, its versions and their revision hashes."""
    return sorted((dataclasses.asdict(r) for r in catalog.find_records(RecordFilter(limit=1000))),
                  key=lambda r: r["id"])


def _rebuild_equal(components, tmp_path) -> None:
    first = components.archive.submit(
        signed_form(components, "annex2-agreement", load_example("annex2-agreement")), LOCAL_OPERATOR)
    countersign(components.archive, components.countersigner, first.record_id, PROVIDER,
                provider_name=components.settings.provider_name)
    components.archive.submit(signed_form(components, "annex4-audit-checklist",
                                                          load_example("annex4-audit-checklist")), LOCAL_OPERATOR)
    rebuilt = SqlCatalog(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}")
    rebuilt.create_schema()
    report = rebuild(rebuilt, components.store, LOCAL_OPERATOR)
    assert (report.records, report.versions, report.skipped) == (2, 3, [])
    assert _rows(rebuilt) == _rows(components.catalog)
    assert verify_archive(rebuilt, components.store).ok


def test_a_deleted_catalog_is_rebuilt_equal_to_the_original_from_the_store_alone(fake_components, tmp_path):
    _rebuild_equal(fake_components, tmp_path)


def test_the_catalog_is_rebuilt_from_seaweedfs_alone(app_components, tmp_path):
    creds = app_components.embedded_store.credentials
    bucket = S3ObjectStore(endpoint=app_components.store.endpoint, access_key=creds.access_key,
                           secret_key=creds.secret_key, bucket=f"rebuild-{uuid.uuid4().hex[:8]}")
    bucket.ensure_ready()  # a bucket of its own: every object in it belongs to this test
    _rebuild_equal(app_components.sharing(store=bucket), tmp_path)


def test_rebuild_refuses_a_catalog_that_is_not_empty(archived):
    from forms_service.errors import InputError

    with pytest.raises(InputError, match="not empty"):
        rebuild(archived.catalog, archived.store, LOCAL_OPERATOR)


@pytest.mark.integration  # starts the embedded SeaweedFS and the demo PKI in-process
def test_the_command_exits_0_on_a_clean_archive(runner):
    result = runner("archive", "verify")
    assert result.exit_code == 0, result.output
    assert "0 version(s) checked: all present and intact" in result.output


def test_entries_written_before_connections_were_indexed_are_rebuilt_into_their_connections(
        fake_components, memory_store, tmp_path):
    """GIVEN a 附件1 and the 附件2 naming it, their stored entries as older versions wrote them (no
    connection, 資料使用單位 or system) WHEN the catalog is rebuilt from the store THEN each record is
    in the 附件1's connection, with the 資料使用單位 and system its input names."""
    import json

    application = fake_components.archive.submit(
        signed_form(fake_components, "annex1-interface", load_example("annex1-interface")), LOCAL_OPERATOR)
    agreement = fake_components.archive.submit(fake_components.filing.produce_form(LOCAL_OPERATOR,
        "annex2-agreement", {**load_example("annex2-agreement"), "related_record": application.record_id}),
        LOCAL_OPERATOR)
    for version in fake_components.catalog.all_versions():
        entry = json.loads(memory_store.get(version.entry_object_key, version.entry_object_version))
        for name in ("connection_id", "user_unit_code", "system_name"):
            entry["record"].pop(name)
        memory_store.delete_unchecked(version.entry_object_key, version.entry_object_version)
        memory_store.put_unchecked(version.entry_object_key, json.dumps(entry, ensure_ascii=False).encode(),
                                   metadata={})
    rebuilt = SqlCatalog(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}")
    rebuilt.create_schema()
    assert rebuild(rebuilt, memory_store, LOCAL_OPERATOR).records == 2
    system = load_example("annex1-interface")["host"]["system_name"]
    for record_id in (application.record_id, agreement.record_id):
        found = rebuilt.get_record(record_id)
        assert (found.connection_id, found.user_unit_code) == (application.record_id, "379010000A")
    assert rebuilt.get_record(application.record_id).system_name == system
    assert rebuilt.connection_ids(user_unit="379010000A", system=system) == [application.record_id]
