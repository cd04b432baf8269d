"""``S3ObjectStore``: the ``ObjectStore`` protocol on any S3 server with Object Lock (minio SDK).

The SDK's defaults suit a script, not a service: a dead server takes ~6 s of retries and a hung
one can block for half an hour.  We pass our own urllib3 pool with short timeouts and one retry,
and translate every SDK and urllib3 exception into a ``storage`` error at this edge.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timezone

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, GOVERNANCE
from minio.error import MinioException, S3Error
from minio.retention import Retention as MinioRetention

from . import metadata as meta
from .errors import IntegrityError, ObjectLocked, ObjectNotFound, StorageError, StoreUnavailable
from .protocol import ObjectInfo, Retention, RetentionMode, StoredObject

SHA256_KEY = "sha256"
MIN_PART_SIZE = 5 * 1024 * 1024  # the SDK's smallest part
MAX_SINGLE_PUT = 5 * 1024 ** 3  # S3's largest single PUT
_NOT_FOUND = {"NoSuchKey", "NoSuchVersion", "NoSuchObjectLockConfiguration"}
# How S3 servers say "this version has no retention" (AWS, MinIO, SeaweedFS differ).
_NO_RETENTION = {"NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError"}
_CREDENTIALS = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}


class S3ObjectStore:
    """Versioned, Object-Lock-protected records in one bucket of an S3 server."""

    def __init__(
        self,
        *,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        secure: bool = False,
        region: str = "us-east-1",
        timeout: float = 5.0,
    ):
        self.endpoint = endpoint
        self.bucket = bucket
        self.secure = secure
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=min(timeout, 2.0), read=timeout),
            retries=urllib3.Retry(total=1, connect=1, read=0, backoff_factor=0.1, status_forcelist=()),
            maxsize=16,
        )
        self._client = Minio(
            endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region,
            http_client=http,
        )

    # --- protocol -------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        with self._translated("prepare bucket"):
            if not self._client.bucket_exists(self.bucket):
                try:
                    self._client.make_bucket(self.bucket, object_lock=True)
                except S3Error as err:
                    # Another instance starting at the same moment made it first: use it (its
                    # Object Lock is checked below like any existing bucket's).
                    if err.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            try:
                config = self._client.get_object_lock_config(self.bucket)
            except S3Error as err:
                raise StorageError(
                    f"bucket {self.bucket!r} exists without Object Lock: records there could be "
                    "deleted, so the service will not use it"
                ) from err
            del config

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str],
        retention: Retention | None = None,
        legal_hold: bool = False,
    ) -> StoredObject:
        if len(data) > MAX_SINGLE_PUT:
            raise StorageError(f"cannot store {key}: {len(data)} bytes is more than one S3 PUT may carry")
        digest = hashlib.sha256(data).digest()
        try:
            encoded = meta.encode({**metadata, SHA256_KEY: digest.hex()})
        except ValueError as err:
            raise StorageError(f"cannot store {key}: {err}") from None
        headers: dict[str, str | list[str] | tuple[str]] = {**encoded}
        # The server verifies this checksum: a corrupted upload is refused instead of stored.
        headers["x-amz-checksum-sha256"] = base64.b64encode(digest).decode()
        with self._translated(f"store {key}"):
            result = self._client.put_object(
                self.bucket, key, io.BytesIO(data), len(data),
                content_type=content_type,
                metadata=headers,
                retention=_to_minio(retention) if retention else None,
                legal_hold=legal_hold,
                # One part, whatever the size: the checksum above covers the whole object, and S3
                # refuses a whole-object checksum on a multipart upload (the SDK's default above 5 MiB).
                part_size=max(len(data), MIN_PART_SIZE),
            )
        if not result.version_id:
            raise StorageError(f"bucket {self.bucket!r} returned no version id: versioning is off")
        return StoredObject(key=key, version_id=result.version_id, sha256=digest.hex(), size=len(data))

    def get(self, key: str, version_id: str | None = None) -> bytes:
        with self._translated(f"read {key}"):
            response = self._client.get_object(self.bucket, key, version_id=version_id)
            try:
                data = response.read()
                expected = meta.decode(response.headers).get(SHA256_KEY)
            finally:
                response.close()
                response.release_conn()
        if expected and hashlib.sha256(data).hexdigest() != expected:
            raise IntegrityError(f"{key} (version {version_id or 'latest'}) does not match its recorded sha256")
        return data

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        with self._translated(f"inspect {key}"):
            stat = self._client.stat_object(self.bucket, key, version_id=version_id)
            retention = None
            try:
                r = self._client.get_object_retention(self.bucket, key, version_id=stat.version_id)
                if r is not None and r.mode and r.retain_until_date is not None:
                    mode: RetentionMode = "COMPLIANCE" if r.mode == COMPLIANCE else "GOVERNANCE"
                    retention = Retention(mode=mode, until=r.retain_until_date)
            except S3Error as err:
                if err.code not in _NO_RETENTION:
                    raise
            try:
                hold = self._client.is_object_legal_hold_enabled(self.bucket, key, version_id=stat.version_id)
            except S3Error as err:
                if err.code != "NoSuchObjectLegalHold":
                    raise
                hold = False
        return ObjectInfo(
            key=key,
            version_id=stat.version_id or "",
            size=stat.size or 0,
            metadata=meta.decode(stat.metadata or {}),
            retention=retention,
            legal_hold=bool(hold),
            last_modified=stat.last_modified,
            is_latest=str(stat.is_latest).lower() == "true",
        )

    def delete(self, key: str, version_id: str) -> None:
        try:
            with self._translated(f"delete {key}"):
                self._client.remove_object(self.bucket, key, version_id=version_id)
        except StoreUnavailable as err:
            if isinstance(err.__cause__, S3Error) and err.__cause__.code in ("AccessDenied", "ObjectLocked"):
                raise ObjectLocked(f"{key} version {version_id} is locked (retention or legal hold)") from err.__cause__
            raise

    def list_versions(self, prefix: str = "") -> Iterator[ObjectInfo]:
        with self._translated(f"list {prefix or 'bucket'}"):
            items = list(self._client.list_objects(self.bucket, prefix=prefix, recursive=True, include_version=True))
        for item in items:
            if item.is_delete_marker:
                continue
            yield ObjectInfo(
                key=item.object_name, version_id=item.version_id or "", size=item.size or 0,
                last_modified=item.last_modified, is_latest=str(item.is_latest).lower() == "true",
            )

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        with self._translated(f"{'place' if on else 'lift'} the legal hold on {key}"):
            if on:
                self._client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
            else:
                self._client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

    def extend_retention(self, key: str, version_id: str, retention: Retention) -> None:
        current = self.head(key, version_id).retention
        if current is not None and retention.until < current.until:
            raise StorageError(f"{key}: retention can be extended, never shortened "
                               f"(now until {current.until:%Y-%m-%d})")
        with self._translated(f"extend the retention of {key}"):
            self._client.set_object_retention(self.bucket, key, _to_minio(retention), version_id=version_id)

    # --- helpers ----------------------------------------------------------------------------

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Turn SDK and transport exceptions into storage errors with a sentence."""
        try:
            yield
        except StorageError:
            raise
        except S3Error as err:
            if err.code in _NOT_FOUND:
                raise ObjectNotFound(f"cannot {action}: not found in bucket {self.bucket!r}") from err
            if err.code in _CREDENTIALS:
                raise StoreUnavailable(f"cannot {action}: the store refused access ({err.code})") from err
            raise StorageError(f"cannot {action}: the store answered {err.code}: {err.message}") from err
        except ValueError as err:  # the SDK's own argument checks (bucket or key names)
            raise StorageError(f"cannot {action}: {err}") from err
        except (urllib3.exceptions.HTTPError, MinioException, OSError) as err:
            raise StoreUnavailable(
                f"cannot {action}: the object store at {self.endpoint} does not answer ({type(err).__name__})"
            ) from err


def _to_minio(retention: Retention) -> MinioRetention:
    mode = {"GOVERNANCE": GOVERNANCE, "COMPLIANCE": COMPLIANCE}[retention.mode]
    until = retention.until
    if until.tzinfo is None:
        raise ValueError("retention.until must be timezone-aware")
    return MinioRetention(mode, until.astimezone(timezone.utc).replace(microsecond=0))


__all__ = ["S3ObjectStore", "SHA256_KEY"]
