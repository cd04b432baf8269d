"""The ``ObjectStore`` protocol and the frozen values that cross it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

RetentionMode = Literal["GOVERNANCE", "COMPLIANCE"]


@dataclass(frozen=True)
class Retention:
    """Object Lock retention: the version cannot be deleted or overwritten before ``until``."""

    mode: RetentionMode
    until: datetime  # timezone-aware


@dataclass(frozen=True)
class StoredObject:
    """What a successful put returns: the store acknowledged exactly these bytes."""

    key: str
    version_id: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    version_id: str
    size: int
    metadata: Mapping[str, str] = field(default_factory=dict)
    retention: Retention | None = None
    legal_hold: bool = False
    last_modified: datetime | None = None
    is_latest: bool = False


@runtime_checkable
class ObjectStore(Protocol):
    """A versioned object store with Object Lock.

    Contract (checked by ``tests/contract/test_object_store.py`` against every implementation):

    - ``put`` stores a new version and returns its id only after the store acknowledged the bytes;
      it sends a sha256 checksum the store verifies, so corrupted uploads are refused.
      ``metadata`` values may hold any Unicode text and read back unchanged.
    - ``get`` returns exactly the bytes of that version (the latest if ``version_id`` is None) and
      raises ``IntegrityError`` when they do not match the sha256 recorded at put time.
    - ``delete`` of a version under retention or legal hold raises ``ObjectLocked``.
    - Every failure is a ``StorageError``; an unreachable store raises ``StoreUnavailable`` within
      the configured timeout — never a hang, never a third-party exception.
    """

    def ensure_ready(self) -> None:
        """Create the bucket with Object Lock if missing; raise ``StoreUnavailable`` if unreachable."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str],
        retention: Retention | None = None,
        legal_hold: bool = False,
    ) -> StoredObject: ...

    def get(self, key: str, version_id: str | None = None) -> bytes: ...

    def head(self, key: str, version_id: str | None = None) -> ObjectInfo: ...

    def delete(self, key: str, version_id: str) -> None: ...

    def list_versions(self, prefix: str = "") -> Iterator[ObjectInfo]: ...

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Place or lift a legal hold: a held version cannot be deleted, whatever its retention."""

    def extend_retention(self, key: str, version_id: str, retention: Retention) -> None:
        """Move the retain-until date later.  Shortening raises ``StorageError`` (COMPLIANCE
        forbids it outright; we refuse it in GOVERNANCE too)."""
