"""The ObjectStore contract, run against every implementation on a real server.

Implementations: ``S3ObjectStore`` on the embedded SeaweedFS (a real S3 server with Object Lock).
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from storage import IntegrityError, ObjectLocked, ObjectNotFound, ObjectStore, Retention, StoreUnavailable
from storage.s3 import S3ObjectStore
from storage.seaweed import free_port


@pytest.fixture(params=["s3-seaweedfs"])
def store(request, components) -> ObjectStore:
    if request.param == "s3-seaweedfs":
        return components.store
    raise AssertionError(request.param)


def key() -> str:
    return f"contract/{uuid.uuid4().hex}.bin"


def soon(days: int = 1) -> Retention:
    return Retention("GOVERNANCE", datetime.now(timezone.utc) + timedelta(days=days))


def test_implements_the_protocol(store):
    assert isinstance(store, ObjectStore)


def test_put_then_get_returns_the_same_bytes_and_sha256(store):
    data = b"%PDF-1.7 \x00\xff" * 1000
    k = key()
    stored = store.put(k, data, content_type="application/pdf", metadata={}, retention=soon())
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert store.get(k, stored.version_id) == data


def test_unicode_metadata_round_trips(store):
    meta = {"agency": "臺北市政府財政局", "note": "100% 𡘙 a=b/c", "form-id": "annex2-agreement"}
    k = key()
    stored = store.put(k, b"x", content_type="application/pdf", metadata=meta, retention=soon())
    info = store.head(k, stored.version_id)
    assert {name: info.metadata[name] for name in meta} == meta
    assert info.metadata["sha256"] == stored.sha256


def test_retention_is_recorded_and_a_locked_version_cannot_be_deleted(store):
    k = key()
    retention = soon(days=3)
    stored = store.put(k, b"evidence", content_type="application/pdf", metadata={}, retention=retention)
    info = store.head(k, stored.version_id)
    assert info.retention is not None and info.retention.mode == "GOVERNANCE"
    assert abs((info.retention.until - retention.until).total_seconds()) < 2
    with pytest.raises(ObjectLocked):
        store.delete(k, stored.version_id)
    assert store.get(k, stored.version_id) == b"evidence"


def test_every_put_is_a_new_version_and_old_versions_stay_readable(store):
    k = key()
    first = store.put(k, b"one", content_type="text/plain", metadata={}, retention=soon())
    second = store.put(k, b"two", content_type="text/plain", metadata={}, retention=soon())
    assert first.version_id != second.version_id
    assert store.get(k, first.version_id) == b"one"
    assert store.get(k) == b"two"
    assert {v.version_id for v in store.list_versions(k)} == {first.version_id, second.version_id}


def test_legal_hold_is_reported(store):
    k = key()
    stored = store.put(k, b"held", content_type="text/plain", metadata={}, legal_hold=True)
    assert store.head(k, stored.version_id).legal_hold is True
    with pytest.raises(ObjectLocked):
        store.delete(k, stored.version_id)


def test_a_missing_object_is_not_found(store):
    with pytest.raises(ObjectNotFound):
        store.get(key())


def test_bytes_that_do_not_match_their_recorded_sha256_are_refused(store):
    # Written behind the store's back: metadata claims another digest than the bytes have.
    k = key()
    raw = store._client  # the minio client of the S3 implementation
    import io

    raw.put_object(store.bucket, k, io.BytesIO(b"altered"), 7, metadata={"x-amz-meta-sha256": "0" * 64})
    with pytest.raises(IntegrityError):
        store.get(k)


def test_an_unreachable_store_fails_fast_with_store_unavailable(components):
    dead = S3ObjectStore(endpoint=f"127.0.0.1:{free_port()}", access_key="a", secret_key="b",
                         bucket="records", timeout=2.0)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        dead.put("k", b"x", content_type="text/plain", metadata={})
    assert time.monotonic() - started < 5


def test_wrong_credentials_are_refused(components):
    store = components.store
    intruder = S3ObjectStore(endpoint=store.endpoint, access_key="intruder", secret_key="guess", bucket=store.bucket)
    with pytest.raises(StoreUnavailable, match="refused"):
        intruder.get("anything")


def test_the_start_up_canary_passes_on_a_store_that_enforces_object_lock(store):
    from forms_service.components import check_object_lock

    check_object_lock(store)


def test_the_start_up_canary_refuses_a_store_that_lets_locked_versions_go(store):
    from forms_service.components import check_object_lock
    from forms_service.errors import StorageFailed

    class IgnoresLocks:
        """A store with the Object Lock bug some servers shipped: deletes succeed regardless."""

        def __getattr__(self, name):
            return getattr(store, name)

        def delete(self, key, version_id):
            return None

    with pytest.raises(StorageFailed, match="does not enforce retention"):
        check_object_lock(IgnoresLocks())
