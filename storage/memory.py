"""``MemoryObjectStore``: the ``ObjectStore`` protocol in memory, for fast unit tests.

It keeps the contract the S3 implementation keeps on a real server (``tests/contract``): versions,
Object Lock retention against its clock, legal holds, sha256 checked on read, Unicode metadata.
Its clock is a callable, so a test can let retention run out without waiting.  ``available =
False`` makes every call fail as an unreachable store would.  Never a substitute for the real
store in integration tests.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import IntegrityError, ObjectLocked, ObjectNotFound, StorageError, StoreUnavailable
from .metadata import key_problem
from .protocol import ObjectInfo, Retention, StoredObject

SHA256_KEY = "sha256"


@dataclass
class _Version:
    version_id: str
    data: bytes
    content_type: str
    metadata: dict[str, str]
    retention: Retention | None
    legal_hold: bool
    last_modified: datetime
    deleted: bool = False


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class MemoryObjectStore:
    """Versioned objects with Object Lock, held in a dict."""

    def __init__(self, *, bucket: str = "forms-records", now: Callable[[], datetime] = _utc_now):
        self.bucket = bucket
        self.endpoint = "memory"
        self.available = True
        self._now = now
        self._objects: dict[str, list[_Version]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # --- protocol -------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        self._reachable(f"prepare bucket {self.bucket}")

    def put(self, key: str, data: bytes, *, content_type: str, metadata: Mapping[str, str],
            retention: Retention | None = None, legal_hold: bool = False) -> StoredObject:
        self._reachable(f"store {key}")
        if retention is not None and retention.until.tzinfo is None:
            raise StorageError(f"cannot store {key}: retention.until must be timezone-aware")
        digest = hashlib.sha256(data).hexdigest()
        names = {name.lower(): str(value) for name, value in metadata.items()}
        for name in names:
            problem = key_problem(name)
            if problem:
                raise StorageError(f"cannot store {key}: {problem}")
        with self._lock:
            version = _Version(f"m{next(self._ids):08d}", bytes(data), content_type, {**names, SHA256_KEY: digest},
                               retention, legal_hold, self._now())
            self._objects.setdefault(key, []).append(version)
        return StoredObject(key=key, version_id=version.version_id, sha256=digest, size=len(data))

    def get(self, key: str, version_id: str | None = None) -> bytes:
        self._reachable(f"read {key}")
        with self._lock:
            version = self._find(key, version_id)
        expected = version.metadata.get(SHA256_KEY)
        if expected and hashlib.sha256(version.data).hexdigest() != expected:
            raise IntegrityError(f"{key} (version {version_id or 'latest'}) does not match its recorded sha256")
        return version.data

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo:
        self._reachable(f"inspect {key}")
        with self._lock:
            version = self._find(key, version_id)
            latest = self._live(key)[-1]
        return ObjectInfo(key=key, version_id=version.version_id, size=len(version.data),
                          metadata=dict(version.metadata), retention=version.retention,
                          legal_hold=version.legal_hold, last_modified=version.last_modified,
                          is_latest=version is latest)

    def delete(self, key: str, version_id: str) -> None:
        self._reachable(f"delete {key}")
        with self._lock:
            version = self._find(key, version_id)
            if version.legal_hold or (version.retention is not None and version.retention.until > self._now()):
                raise ObjectLocked(f"{key} version {version_id} is locked (retention or legal hold)")
            version.deleted = True

    def list_versions(self, prefix: str = "") -> Iterator[ObjectInfo]:
        self._reachable(f"list {prefix or 'bucket'}")
        with self._lock:
            found = [(key, v, v is self._live(key)[-1]) for key in sorted(self._objects) if key.startswith(prefix)
                     for v in self._live(key)]
        for key, version, latest in found:
            yield ObjectInfo(key=key, version_id=version.version_id, size=len(version.data),
                             last_modified=version.last_modified, is_latest=latest)

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        self._reachable(f"{'place' if on else 'lift'} the legal hold on {key}")
        with self._lock:
            self._find(key, version_id).legal_hold = on

    def extend_retention(self, key: str, version_id: str, retention: Retention) -> None:
        self._reachable(f"extend the retention of {key}")
        with self._lock:
            version = self._find(key, version_id)
            if version.retention is not None and retention.until < version.retention.until:
                raise StorageError(f"{key}: retention can be extended, never shortened "
                                   f"(now until {version.retention.until:%Y-%m-%d})")
            version.retention = retention

    # --- behind the service's back (tests of tampering) -------------------------------------

    def put_unchecked(self, key: str, data: bytes, *, metadata: Mapping[str, str]) -> str:
        """Write a version as someone with direct access to the storage would: ``metadata`` as
        given (a forged sha256, or none).  Returns the version id."""
        with self._lock:
            version = _Version(f"m{next(self._ids):08d}", bytes(data), "application/octet-stream",
                               {k.lower(): v for k, v in metadata.items()}, None, False, self._now())
            self._objects.setdefault(key, []).append(version)
        return version.version_id

    def delete_unchecked(self, key: str, version_id: str) -> None:
        """Remove a version whatever its lock, as an administrator bypassing governance would."""
        with self._lock:
            self._find(key, version_id).deleted = True

    # --- helpers ----------------------------------------------------------------------------

    def _reachable(self, action: str) -> None:
        if not self.available:
            raise StoreUnavailable(f"cannot {action}: the object store at {self.endpoint} does not answer")

    def _live(self, key: str) -> list[_Version]:
        return [v for v in self._objects.get(key, []) if not v.deleted]

    def _find(self, key: str, version_id: str | None) -> _Version:
        live = self._live(key)
        if version_id is None and live:
            return live[-1]
        for version in live:
            if version.version_id == version_id:
                return version
        raise ObjectNotFound(f"cannot read {key}: not found in bucket {self.bucket!r}")

    def snapshot(self) -> dict[str, list[str]]:
        """Every live key and its version ids (for assertions that nothing was written)."""
        with self._lock:
            return {key: [v.version_id for v in self._live(key)] for key in sorted(self._objects) if self._live(key)}


__all__ = ["MemoryObjectStore"]
