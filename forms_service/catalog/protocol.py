"""The ``Catalog`` protocol and the frozen values passed to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from .models import ApiToken, AuditEvent, AuditSeal, IdempotencyKey, Record, Version


@dataclass(frozen=True)
class NewRecord:
    id: str
    form_id: str
    agency_name: str
    agency_code: str
    user_unit_name: str
    title: str
    period_start: date | None
    period_end: date | None
    input: dict[str, Any]
    created_at: datetime
    created_by: str
    subjects: tuple[str, ...] = ()  # 統一編號 the record is about


@dataclass(frozen=True)
class NewVersion:
    number: int
    object_key: str
    object_version: str
    sha256: str
    size: int
    pages: int
    signatures: int
    signature_report: list[dict[str, Any]]
    retention_mode: str
    retain_until: datetime | None
    created_at: datetime
    reason: str = ""
    revision_hashes: tuple[str, ...] = ()
    entry_object_key: str = ""
    entry_object_version: str = ""


@dataclass(frozen=True)
class NewAuditEvent:
    actor: str
    action: str
    agency: str = ""
    outcome: str = "ok"
    record_id: str = ""
    version: int | None = None
    source_ip: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordFilter:
    """Scope and filters of a record query; ``agency`` scopes to one agency (name or code)."""

    agency: str | None = None
    form_id: str | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None  # exclusive
    subject: str | None = None  # a 統一編號 the record is about
    limit: int = 50
    offset: int = 0


@runtime_checkable
class Catalog(Protocol):
    """Index of records and versions, API tokens and the audit log.

    Contract (``tests/contract/test_catalog.py``): ``add_record`` writes the record, its first
    version and the audit event in one transaction — all or nothing; reads scoped to an agency
    never return another agency's rows; token lookup takes the token's hash, never the token.
    """

    def create_schema(self) -> None: ...

    def add_record(self, record: NewRecord, version: NewVersion, event: NewAuditEvent) -> None: ...

    def add_version(self, record_id: str, version: NewVersion, event: NewAuditEvent) -> None: ...

    def get_record(self, record_id: str, *, agency: str | None = None) -> Record | None: ...

    def versions(self, record_id: str) -> list[Version]: ...

    def find_records(self, query: RecordFilter) -> list[Record]: ...

    def add_token(self, token_hash: str, *, prefix: str, agency: str, role: str, label: str,
                  allowed_networks: str = "") -> ApiToken: ...

    def token_by_hash(self, token_hash: str) -> ApiToken | None: ...

    def revoke_tokens(self, *, label: str) -> int: ...

    def audit(self, event: NewAuditEvent) -> None: ...

    def audit_events(self, *, record_id: str | None = None, limit: int = 100) -> list[AuditEvent]: ...

    def find_version_by_hash(self, sha256: str) -> tuple[Version, bool] | None:
        """The version whose file, or one of whose earlier revisions, has this sha256; the flag
        says whether it is the whole file."""

    def latest_versions(self) -> list[Version]: ...

    def all_versions(self) -> list[Version]: ...

    def reserve_idempotency_key(self, actor: str, key: str, request_hash: str) -> IdempotencyKey | None:
        """Reserve ``key`` for ``actor`` (None: reserved now, go ahead) or return the existing row."""

    def complete_idempotency_key(self, actor: str, key: str, response: dict[str, Any]) -> None: ...

    def release_idempotency_key(self, actor: str, key: str) -> None:
        """Forget a pending reservation whose request failed, so a retry can run."""

    def update_version_lock(self, record_id: str, number: int, event: NewAuditEvent, *,
                            legal_hold: bool | None = None, retain_until: datetime | None = None) -> None:
        """Record a changed legal hold or retention of one version, with its audit event."""

    def verify_audit_chain(self) -> tuple[int, str]:
        """Walk the audit log's hash chain: (entries checked, "" or the first broken entry)."""

    def refusals_from(self, source_ip: str, *, since: datetime, actions: tuple[str, ...]) -> int:
        """How many refused ``actions`` the audit log has from ``source_ip`` since ``since``."""

    def audit_events_after(self, after_id: int, *, before: datetime, limit: int = 5000) -> list[AuditEvent]:
        """Entries with an id above ``after_id`` written before ``before``, in chain order."""

    def audit_events_between(self, first_id: int, last_id: int) -> list[AuditEvent]: ...

    def first_audit_event(self) -> AuditEvent | None: ...

    def audit_seals(self) -> list[AuditSeal]: ...

    def add_audit_seal(self, seal: AuditSeal, event: NewAuditEvent) -> bool:
        """Record a sealed day (False: that day is sealed already)."""

    def ping(self) -> None: ...

    def close(self) -> None: ...
