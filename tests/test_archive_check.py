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
    archived = dataclasses.replace(components, store=own_bucket, catalog=catalog, _closers=[])
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
