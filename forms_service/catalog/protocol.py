"""The catalog's protocols: what each part of the service may ask of the database.

Split by the callers they serve, so a function's signature says what it touches:

- ``RecordCatalog``   records, their versions and disposal (the archive);
- ``AuditLog``        the hash-chained audit log and its sealed days;
- ``WorkCatalog``     drafts and agency profiles;
- ``IdempotencyKeys`` retried POSTs.

The other concerns keep their own protocols beside their rows (``access.values.AccessCatalog``,
``querylog.values``, ``connections.values.Oversight``, ``jobs.values.Batches``,
``notify.store.MailClaims``); ``forms_service.repositories.Catalog`` is all of them at once.

Every method returns frozen values (``catalog/values.py``) and raises ``CatalogUnavailable``
(a ``ServiceUnavailable``) with a sentence when the database fails — never a SQLAlchemy error.
The contract suite (``tests/contract/test_catalog.py``) runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from .values import (
    AgencyProfile,
    AuditEvent,
    AuditSeal,
    ConnectionAck,
    ConnectionMember,
    Draft,
    IdempotencyKey,
    NewAuditEvent,
    NewAuditSeal,
    NewRecord,
    NewTombstone,
    NewVersion,
    Record,
    RecordFilter,
    SetAsideObject,
    Tombstone,
    Version,
)


@runtime_checkable
class AuditLog(Protocol):
    """Append-only, hash-chained: each entry's hash covers the one before (``audit/chain.py``)."""

    def audit(self, event: NewAuditEvent) -> None:
        """Append one entry (in its own transaction)."""

    def audit_events(self, *, record_id: str | None = None, limit: int = 100) -> list[AuditEvent]:
        """The newest entries first, optionally of one record."""

    def verify_audit_chain(self) -> tuple[int, str]:
        """Walk the hash chain: (entries checked, "" or a sentence naming the first broken entry)."""

    def refusals_from(self, source_ip: str, *, since: datetime, actions: tuple[str, ...],
                      actor: str | None = None) -> int:
        """How many refused ``actions`` (of ``actor``, if given) the log has from ``source_ip`` since ``since``."""

    def audit_events_after(self, after_id: int, *, before: datetime, limit: int = 5000) -> list[AuditEvent]:
        """Entries with an id above ``after_id`` written before ``before``, in chain order."""

    def audit_events_between(self, first_id: int, last_id: int) -> list[AuditEvent]:
        """Entries ``first_id`` … ``last_id`` (inclusive), in chain order."""

    def first_audit_event(self) -> AuditEvent | None: ...

    def audit_seals(self) -> list[AuditSeal]:
        """Sealed days, oldest first."""

    def add_audit_seal(self, seal: NewAuditSeal, event: NewAuditEvent) -> bool:
        """Record a sealed day with its audit entry (False: that day is sealed already)."""


@runtime_checkable
class RecordCatalog(Protocol):
    """Records and versions.  ``add_record`` writes the record, its first version and the audit
    entry in one transaction — all or nothing; every write of a version or lock carries its audit
    entry in the same transaction.  Reads scoped to an agency never return another agency's rows."""

    def add_record(self, record: NewRecord, version: NewVersion, event: NewAuditEvent) -> None: ...

    def add_version(self, record_id: str, version: NewVersion, event: NewAuditEvent) -> None:
        """The version and its audit entry; the record's ``awaiting`` follows its signature report."""

    def end_signing(self, record_id: str, event: NewAuditEvent) -> None:
        """A signer returned the record: it waits for no one any more (``awaiting`` = RETURNED)."""

    def records_awaiting_signature(self, *, agency: str | None = None, limit: int = 500) -> list[Record]:
        """Records whose next block waits for its signer, oldest first."""

    def records_returned(self, *, agency: str | None = None, limit: int = 500) -> list[Record]:
        """Records a signer returned (``awaiting`` = RETURNED), oldest first."""

    def set_aside(self, objects: list[SetAsideObject], event: NewAuditEvent) -> None:
        """Record object versions of an interrupted filing (known again: kept), with the audit entry."""

    def set_aside_objects(self) -> list[SetAsideObject]: ...

    def get_record(self, record_id: str, *, agency: str | None = None) -> Record | None:
        """The record with its versions; ``agency`` (a 機關代碼) limits the search to that agency."""

    def find_records(self, query: RecordFilter) -> list[Record]:
        """Newest first, scoped and filtered by ``query``."""

    def connection_ids(self, *, agency: str | None = None, user_unit: str | None = None,
                       system: str | None = None) -> list[str]:
        """The connections (ids of their first 附件1) that ``agency`` applied for or is the 資料使用單位
        of, or whose 資料使用單位 and system are ``user_unit`` and ``system``; newest first."""

    def connection_members(self, connection_ids: list[str]) -> list[ConnectionMember]:
        """The records of these connections (disposed ones left out), oldest first: applications
        with their input, others without."""

    def add_connection_ack(self, ack: ConnectionAck, event: NewAuditEvent) -> bool:
        """Record a 資料使用單位's acknowledgement with its audit entry; False if it acknowledged before."""

    def connection_acks(self, connection_ids: list[str]) -> list[ConnectionAck]: ...

    def find_version_by_hash(self, sha256: str) -> tuple[Version, bool] | None:
        """The version whose file, or one of whose earlier revisions, has this sha256; the flag
        says whether it is the whole file."""

    def latest_versions(self) -> list[Version]:
        """The newest version of every record."""

    def all_versions(self) -> list[Version]:
        """Every catalogued version, by record and number."""

    def update_version_lock(self, record_id: str, number: int, event: NewAuditEvent, *,
                            legal_hold: bool | None = None, retain_until: datetime | None = None) -> None:
        """Record a changed legal hold or retention of one version, with its audit entry."""

    def records_past_retention(self, now: datetime) -> list[Record]:
        """Active records whose every version's retention has ended and none is on legal hold."""

    def add_tombstone(self, tombstone: NewTombstone, event: NewAuditEvent) -> None:
        """A disposal request: the record becomes ``disposal-requested``."""

    def tombstone(self, record_id: str) -> Tombstone | None: ...

    def complete_disposal(self, record_id: str, *, approved_by: str, disposed_at: datetime, certificate_key: str,
                          certificate_version: str, event: NewAuditEvent) -> None:
        """The versions are gone from the store: drop their rows, keep the record as ``disposed``."""


@runtime_checkable
class WorkCatalog(Protocol):
    """What people keep while they work: drafts of forms (per agency) and agency profiles."""

    def save_draft(self, *, draft_id: str, agency: str, form_id: str, title: str, data: dict[str, Any],
                   by: str, now: datetime, awaiting: str = "") -> Draft:
        """Create or replace a draft; a draft of another agency or form under that id is refused.
        ``awaiting``: filed, it waits for the signature of this block's person."""

    def draft(self, draft_id: str, *, agency: str | None = None) -> Draft | None:
        """The draft (within ``agency`` when given)."""

    def drafts(self, *, agency: str | None = None, limit: int = 100) -> list[Draft]:
        """The newest drafts first (of ``agency`` when given)."""

    def delete_draft(self, draft_id: str) -> bool: ...

    def agency_profile(self, code: str) -> AgencyProfile | None: ...

    def agency_profiles(self) -> list[AgencyProfile]: ...

    def set_agency_profile(self, code: str, data: dict[str, Any], *, by: str, now: datetime) -> AgencyProfile: ...


@runtime_checkable
class IdempotencyKeys(Protocol):
    def reserve_idempotency_key(self, actor: str, key: str, request_hash: str) -> IdempotencyKey | None:
        """Reserve ``key`` for ``actor`` (None: reserved now, go ahead) or return the existing one."""

    def complete_idempotency_key(self, actor: str, key: str, response: dict[str, Any]) -> None: ...

    def release_idempotency_key(self, actor: str, key: str) -> None:
        """Forget a pending reservation whose request failed, so a retry can run."""
