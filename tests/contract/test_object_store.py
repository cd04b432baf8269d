"""The ObjectStore contract, run against every implementation.

Implementations: ``MemoryObjectStore`` (the fake of the unit tests) and ``S3ObjectStore`` on the
embedded SeaweedFS (a real S3 server with Object Lock).  Tampering "behind the store's back" goes
through a backdoor per implementation — an independent S3 client for the real one — never through
private attributes.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from minio import Minio

from forms_service.clock import FixedClock
from forms_service.components import check_object_lock
from forms_service.errors import StorageFailed
from storage import IntegrityError, ObjectLocked, ObjectNotFound, ObjectStore, Retention, StorageError, StoreUnavailable
from storage.memory import MemoryObjectStore
from storage.s3 import S3ObjectStore
from storage.seaweed import free_port


class S3Backdoor:
    """Someone with the store's credentials using their own S3 client, not the service."""

    def __init__(self, store: S3ObjectStore, access_key: str, secret_key: str):
        self.bucket = store.bucket
        self.client = Minio(store.endpoint, access_key=access_key, secret_key=secret_key, secure=False)

    def put_unchecked(self, key: str, data: bytes, *, metadata: dict[str, str]) -> str:
        return self.client.put_object(self.bucket, key, io.BytesIO(data), len(data),
                                      metadata={f"x-amz-meta-{k}": v for k, v in metadata.items()}).version_id


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture(params=["memory", pytest.param("s3-seaweedfs", marks=pytest.mark.integration)])
def store_and_backdoor(request):
    if request.param == "memory":
        store = MemoryObjectStore()
        return store, store
    components = request.getfixturevalue("components")
    creds = components.embedded_store.credentials
    return components.store, S3Backdoor(components.store, creds.access_key, creds.secret_key)


@pytest.fixture
def store(store_and_backdoor) -> ObjectStore:
    return store_and_backdoor[0]


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


@pytest.mark.parametrize("name", ["content-type", "Cache-Control", "my key", "名稱"])
def test_a_metadata_key_that_cannot_travel_as_user_metadata_is_refused(store, name):
    # "content-type" would be sent as the object's own header (a second Content-Type, which S3
    # then refuses as a bad signature); the others are not header names at all.
    with pytest.raises(StorageError, match="metadata key"):
        store.put(key(), b"x", content_type="application/pdf", metadata={name: "v"}, retention=soon())


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


def test_a_version_without_a_lock_is_deleted_and_gone(store):
    k = key()
    stored = store.put(k, b"scratch", content_type="text/plain", metadata={})
    store.delete(k, stored.version_id)
    with pytest.raises(ObjectNotFound):
        store.get(k, stored.version_id)
    assert stored.version_id not in {v.version_id for v in store.list_versions(k)}


def test_every_put_is_a_new_version_and_old_versions_stay_readable(store):
    k = key()
    first = store.put(k, b"one", content_type="text/plain", metadata={}, retention=soon())
    second = store.put(k, b"two", content_type="text/plain", metadata={}, retention=soon())
    assert first.version_id != second.version_id
    assert store.get(k, first.version_id) == b"one"
    assert store.get(k) == b"two"
    assert {v.version_id for v in store.list_versions(k)} == {first.version_id, second.version_id}


def test_legal_hold_is_reported_and_blocks_deletion_until_lifted(store):
    k = key()
    stored = store.put(k, b"held", content_type="text/plain", metadata={}, legal_hold=True)
    assert store.head(k, stored.version_id).legal_hold is True
    with pytest.raises(ObjectLocked):
        store.delete(k, stored.version_id)
    store.set_legal_hold(k, stored.version_id, False)
    assert store.head(k, stored.version_id).legal_hold is False


def test_retention_is_extended_and_never_shortened(store):
    k = key()
    stored = store.put(k, b"kept", content_type="text/plain", metadata={}, retention=soon(days=2))
    later = soon(days=30)
    store.extend_retention(k, stored.version_id, later)
    info = store.head(k, stored.version_id)
    assert info.retention is not None and abs((info.retention.until - later.until).total_seconds()) < 2
    with pytest.raises(StorageError, match="never shortened"):
        store.extend_retention(k, stored.version_id, soon(days=1))


def test_a_missing_object_is_not_found(store):
    with pytest.raises(ObjectNotFound):
        store.get(key())


def test_bytes_that_do_not_match_their_recorded_sha256_are_refused(store_and_backdoor):
    store, backdoor = store_and_backdoor
    k = key()
    # Written behind the store's back: the metadata claims another digest than the bytes have.
    backdoor.put_unchecked(k, b"altered", metadata={"sha256": "0" * 64})
    with pytest.raises(IntegrityError):
        store.get(k)


def test_the_start_up_canary_passes_on_a_store_that_enforces_object_lock(store):
    check_object_lock(store)


def test_the_start_up_canary_refuses_a_store_that_lets_locked_versions_go(store):
    class IgnoresLocks:
        """A store with the Object Lock bug some servers shipped: deletes succeed regardless."""

        def __getattr__(self, name):
            return getattr(store, name)

        def delete(self, key, version_id):
            return None

    with pytest.raises(StorageFailed, match="does not enforce retention"):
        check_object_lock(IgnoresLocks())


# --- the implementations' own faults -------------------------------------------------------

def test_the_memory_store_enforces_retention_by_its_clock():
    clock = FixedClock()
    store = MemoryObjectStore(now=clock.now)
    stored = store.put("k", b"x", content_type="text/plain", metadata={},
                       retention=Retention("COMPLIANCE", clock.now() + timedelta(days=365)))
    with pytest.raises(ObjectLocked):
        store.delete("k", stored.version_id)
    clock.advance(days=366)
    store.delete("k", stored.version_id)


def test_an_unavailable_memory_store_fails_like_an_unreachable_one():
    store = MemoryObjectStore()
    store.available = False
    with pytest.raises(StoreUnavailable, match="does not answer"):
        store.put("k", b"x", content_type="text/plain", metadata={})


def test_an_unreachable_s3_store_fails_fast_with_store_unavailable():
    dead = S3ObjectStore(endpoint=f"127.0.0.1:{free_port()}", access_key="a", secret_key="b",
                         bucket="records", timeout=2.0)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        dead.put("k", b"x", content_type="text/plain", metadata={})
    assert time.monotonic() - started < 5


def test_wrong_credentials_are_refused_by_the_real_store(components):
    store = components.store
    intruder = S3ObjectStore(endpoint=store.endpoint, access_key="intruder", secret_key="guess", bucket=store.bucket)
    with pytest.raises(StoreUnavailable, match="refused"):
        intruder.get("anything")


def test_an_object_over_the_multipart_threshold_is_stored_whole_with_its_checksum(store):
    # A long register's catalog entry is several MiB: the SDK would split it into parts, and a
    # whole-object checksum on a multipart upload is refused by the store.
    data = bytes(range(256)) * (24 * 1024)  # 6 MiB
    k = key()
    stored = store.put(k, data, content_type="application/json", metadata={"kind": "entry"}, retention=soon())
    assert stored.size == len(data) and store.get(k, stored.version_id) == data
