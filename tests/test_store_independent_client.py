"""What the archive wrote, seen with an independent S3 client (boto3) on the embedded store."""

from __future__ import annotations

from urllib.parse import unquote

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from forms_service.access import LOCAL_OPERATOR
from tests.conftest import load_example, signed_form


@pytest.fixture(scope="module")
def s3(components):
    creds = components.embedded_store.credentials
    return boto3.client("s3", endpoint_url=f"http://{components.store.endpoint}", aws_access_key_id=creds.access_key,
                        aws_secret_access_key=creds.secret_key, region_name="us-east-1",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=10))


@pytest.fixture(scope="module")
def stored(components):
    produced = signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    return components.archive.submit(produced, LOCAL_OPERATOR)


def test_each_version_carries_its_retention_and_metadata(s3, components, stored):
    bucket = components.settings.s3_bucket
    retention = s3.get_object_retention(Bucket=bucket, Key=stored.object_key,
                                        VersionId=stored.object_version)["Retention"]
    assert retention["Mode"] == "GOVERNANCE" and retention["RetainUntilDate"].year >= 2029
    head = s3.head_object(Bucket=bucket, Key=stored.object_key, VersionId=stored.object_version)
    meta = {k: unquote(v) for k, v in head["Metadata"].items()}
    assert meta["form-id"] == "annex2-agreement" and meta["agency"] == "臺北市政府財政局"
    assert meta["sha256"] == stored.sha256 and meta["record-id"] == stored.record_id
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


def test_deleting_a_locked_version_is_refused(s3, components, stored):
    bucket = components.settings.s3_bucket
    with pytest.raises(ClientError) as refused:
        s3.delete_object(Bucket=bucket, Key=stored.object_key, VersionId=stored.object_version)
    assert refused.value.response["Error"]["Code"] in ("AccessDenied", "ObjectLocked")
    body = s3.get_object(Bucket=bucket, Key=stored.object_key, VersionId=stored.object_version)["Body"].read()
    assert len(body) == stored.size


def test_anonymous_access_is_refused(components):
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"http://{components.store.endpoint}/{components.settings.s3_bucket}/", timeout=5)
    assert refused.value.code == 403
