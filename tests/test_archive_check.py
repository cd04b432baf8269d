"""``archive verify``: the store must hold exactly what the catalog says, intact."""

from __future__ import annotations

import dataclasses
import io
import os
import subprocess
import sys
import uuid

import pytest

from forms_service.archive_check import verify_archive
from forms_service.tokens import LOCAL_OPERATOR
from storage.s3 import S3ObjectStore
from tests.conftest import load_example


@pytest.fixture(scope="module")
def own_bucket(components):
    """A bucket of this module's own on the session's SeaweedFS, so other tests' records don't show."""
    main = components.store
    creds = components.embedded_store.credentials
    store = S3ObjectStore(endpoint=main.endpoint, access_key=creds.access_key, secret_key=creds.secret_key,
                          bucket=f"archive-check-{uuid.uuid4().hex[:8]}")
    store.ensure_ready()
    return store


@pytest.fixture
def archive(components, catalog, own_bucket):
    creds = components.embedded_store.credentials
    bucket = S3ObjectStore(endpoint=own_bucket.endpoint, access_key=creds.access_key, secret_key=creds.secret_key,
                           bucket=f"archive-{uuid.uuid4().hex[:10]}")
    bucket.ensure_ready()  # a bucket per test: every object in it belongs to this test
    archived = dataclasses.replace(components, store=bucket, catalog=catalog, _closers=[])
    produced = archived.producer.produce("annex3-requirements", load_example("annex3-requirements"))
    archived.archive.submit(produced, LOCAL_OPERATOR)
    return archived


def test_a_clean_archive_verifies(archive):
    report = verify_archive(archive.catalog, archive.store)
    assert report.ok and report.checked == 1


def test_a_version_deleted_behind_the_services_back_is_named_missing(archive):
    [version] = archive.catalog.all_versions()
    # An administrator bypassing governance retention — what the check exists to notice.
    archive.store._client._execute(
        "DELETE", archive.store.bucket, version.object_key, query_params={"versionId": version.object_version},
        headers={"x-amz-bypass-governance-retention": "true"},
    )
    report = verify_archive(archive.catalog, archive.store)
    assert not report.ok and report.missing and version.object_key in report.missing[0]


def test_an_object_altered_behind_the_services_back_is_named(archive):
    [version] = archive.catalog.all_versions()
    # Replace the catalogued version by other bytes whose recorded digest no longer matches.
    raw = archive.store._client
    result = raw.put_object(archive.store.bucket, version.object_key, io.BytesIO(b"%PDF-altered"), 12,
                            metadata={"x-amz-meta-sha256": version.sha256})
    from sqlalchemy import update

    from forms_service.catalog.models import Version

    with archive.catalog._sessions.begin() as s:
        s.execute(update(Version).where(Version.id == version.id).values(object_version=result.version_id))
    report = verify_archive(archive.catalog, archive.store)
    assert report.mismatched and version.object_key in report.mismatched[0]


def test_an_object_the_catalog_does_not_know_is_named_orphaned(archive):
    archive.store.put("records/annex3-requirements/rec_orphan/v1.pdf", b"%PDF-orphan", content_type="application/pdf",
                      metadata={"record-id": "rec_orphan"})
    report = verify_archive(archive.catalog, archive.store)
    assert [o for o in report.orphaned if "rec_orphan" in o]


def test_the_command_exits_0_on_a_clean_archive(tmp_path):
    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-m", "forms_service.cli", "archive", "verify"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "0 version(s) checked: all present and intact" in result.stdout


def _rows(catalog):
    records = sorted(catalog.find_records(__import__("forms_service.catalog", fromlist=["RecordFilter"]).RecordFilter(limit=1000)),
                     key=lambda r: r.id)
    skip = {"id", "record_id", "revisions", "record", "_sa_instance_state"}
    out = []
    for r in records:
        out.append((
            {k: v for k, v in vars(r).items() if k not in skip | {"versions"}},
            [({k: v for k, v in vars(v).items() if k not in skip}, sorted(h.sha256 for h in v.revisions)) for v in r.versions],
        ))
    return out


def test_a_deleted_catalog_is_rebuilt_equal_to_the_original_from_the_store_alone(components, tmp_path, own_bucket):
    from forms_service.catalog import SqlCatalog
    from forms_service.rebuild import rebuild
    from forms_service.records import countersign
    from forms_service.tokens import Actor

    original = SqlCatalog(f"sqlite:///{tmp_path / 'original.sqlite3'}")
    original.create_schema()
    bucket = S3ObjectStore(endpoint=own_bucket.endpoint, access_key=components.embedded_store.credentials.access_key,
                           secret_key=components.embedded_store.credentials.secret_key,
                           bucket=f"rebuild-{uuid.uuid4().hex[:8]}")
    bucket.ensure_ready()
    archived = dataclasses.replace(components, store=bucket, catalog=original, _closers=[])
    first = archived.archive.submit(archived.producer.produce("annex2-agreement", load_example("annex2-agreement")),
                                    LOCAL_OPERATOR)
    countersign(archived, first.record_id, Actor("p", "經濟部商業司", "provider"))
    archived.archive.submit(archived.producer.produce("annex4-audit-checklist", load_example("annex4-audit-checklist")),
                            LOCAL_OPERATOR)

    rebuilt = SqlCatalog(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}")
    rebuilt.create_schema()
    report = rebuild(rebuilt, bucket, LOCAL_OPERATOR)
    assert (report.records, report.versions, report.skipped) == (2, 3, [])
    assert _rows(rebuilt) == _rows(original)
    assert verify_archive(rebuilt, bucket).ok


def test_repair_adds_a_version_whose_catalog_write_was_lost(archive):
    from forms_service.rebuild import repair

    [version] = archive.catalog.all_versions()
    with archive.catalog._sessions.begin() as s:  # the catalog write that failed after the put
        from sqlalchemy import delete

        from forms_service.catalog.models import Record, RevisionHash, Version

        s.execute(delete(RevisionHash))
        s.execute(delete(Version))
        s.execute(delete(Record))
    assert not verify_archive(archive.catalog, archive.store).ok  # both objects orphaned now
    fixed = repair(archive.catalog, archive.store, LOCAL_OPERATOR)
    assert (fixed.records, fixed.versions) == (1, 1)
    assert verify_archive(archive.catalog, archive.store).ok
