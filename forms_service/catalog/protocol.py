"""The catalog's protocols: what each part of the service may ask of the database.

Split by the callers they serve, so a function's signature says what it touches:

- ``RecordCatalog``  records, their versions and disposal (the archive);
- ``AuditLog``       the hash-chained audit log and its sealed days;
- ``AccessCatalog``  API tokens and people who sign in;
- ``IdempotencyKeys`` retried POSTs;
- ``Batches``      many documents asked for at once, and what became of each;
- ``Catalog``        all of them, plus the schema and health — what ``SqlCatalog`` implements.

Every method returns frozen values (``catalog/values.py``) and raises ``CatalogUnavailable``
(a ``ServiceUnavailable``) with a sentence when the database fails — never a SQLAlchemy error.
The contract suite (``tests/contract/test_catalog.py``) runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from ..db.database import Database
from .values import (
    AgencyProfile,
    ApiToken,
    AuditEvent,
    AuditSeal,
    Batch,
    BatchEntry,
    ConnectionAck,
    ConnectionMember,
    Draft,
    IdempotencyKey,
    Incident,
    Inspection,
    InspectionFinding,
    InspectionItem,
    NewAuditEvent,
    NewAuditSeal,
    NewQueryEvent,
    NewRecord,
    NewTombstone,
    NewVersion,
    QueryEvent,
    QueryFlagReview,
    QueryMonth,
    QueryReviewer,
    Record,
    RecordFilter,
    SetAsideObject,
    Tombstone,
    User,
    Version,
    WebSession,
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
class AccessCatalog(Protocol):
    """API tokens (found by their hash, never by the token), people who sign in, their sessions
    (found by the hash of the id in the cookie).  Every change that takes a right away — a lock,
    a new role, a new password — ends the person's sessions in the same transaction."""

    def add_token(self, token_hash: str, *, prefix: str, agency: str, role: str, label: str,
                  allowed_networks: str = "", expires_at: datetime | None = None, system: str = "",
                  username: str = "", connection_id: str = "") -> ApiToken: ...

    def token_by_hash(self, token_hash: str, *, now: datetime) -> ApiToken | None:
        """The token with this sha256, unless revoked or expired at ``now``."""

    def tokens(self) -> list[ApiToken]:
        """Every token ever made, newest first (revoked and expired ones too)."""

    def revoke_token(self, token_id: int) -> bool:
        """Revoke one token; False if there is no such live token."""

    def revoke_tokens(self, *, label: str) -> int:
        """Revoke every live token with this label; how many were revoked."""

    def add_user(self, username: str, password_hash: str, *, agency: str, role: str) -> User: ...

    def user(self, username: str) -> User | None: ...

    def users(self) -> list[User]: ...

    def set_user_details(self, username: str, *, full_name: str, email: str, system_account: str) -> bool:
        """The person's name, e-mail and business-system account; False if there is no such user."""

    def record_login(self, username: str, *, ok: bool, lock_after: int, lock_for: timedelta) -> None:
        """Count a failed sign-in (locking the account and ending its sessions after
        ``lock_after`` in a row), or reset the count on success."""

    def set_password(self, username: str, password_hash: str) -> bool:
        """A new password (and no lock); the user's sessions end.  False if there is no such user."""

    def set_role(self, username: str, role: str) -> bool:
        """A new role; the user's sessions end.  False if there is no such user."""

    def unlock_user(self, username: str) -> bool: ...

    def lock_user(self, username: str, *, until: datetime, now: datetime) -> bool:
        """Refuse the user's sign-ins until ``until`` (an administrator's lock) and end their sessions;
        False if there is no such user."""

    def add_session(self, sid_hash: str, username: str, *, now: datetime, expires_at: datetime) -> None: ...

    def session_by_hash(self, sid_hash: str, *, now: datetime) -> WebSession | None:
        """The live session with this hash: not ended, not past ``expires_at``."""

    def touch_session(self, sid_hash: str, *, now: datetime) -> None:
        """Note that the session was used (for its idle limit)."""

    def end_session(self, sid_hash: str, *, now: datetime) -> None: ...

    def end_sessions(self, username: str, *, now: datetime) -> int:
        """End every live session of the user; how many were ended."""


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
class QueryEventLog(Protocol):
    """The queries agencies' business systems report (規範 六(四)2): appended, never changed."""

    def add_query_events(self, events: list[NewQueryEvent], *, by: str, now: datetime) -> set[str]:
        """Store the events not stored before; the event ids that were new.  An (agency, system,
        event_id) already stored — by an earlier batch, a concurrent one or earlier in this one —
        is never stored twice."""

    def query_events(self, *, agency: str, system: str, start: datetime, end: datetime,
                     limit: int = 200_000) -> list[QueryEvent]:
        """The events of one system that happened in [start, end), in time order."""

    def query_event_sources(self, *, start: datetime, end: datetime) -> list[tuple[str, str]]:
        """The (agency, system) pairs with events in [start, end)."""

    def close_query_month(self, month: QueryMonth) -> bool:
        """Record a month as closed (its segment sealed); False if it was closed already."""

    def query_month(self, *, agency: str, system: str, month: str) -> QueryMonth | None: ...

    def set_query_month_record(self, *, agency: str, system: str, month: str, record_id: str) -> bool:
        """The month's signed 附件5; False if the month is not closed or has one already."""


@runtime_checkable
class QueryReview(Protocol):
    """The monthly check's people and steps: who reviews each system, what became of each flag,
    and which reminder mails went out."""

    def assign_query_reviewer(self, *, agency: str, system: str, username: str, by: str,
                              now: datetime) -> QueryReviewer:
        """Make ``username`` the system's 查核人員 (replacing the one before)."""

    def query_reviewer(self, *, agency: str, system: str) -> QueryReviewer | None: ...

    def query_reviewers(self, *, agency: str | None = None, username: str | None = None) -> list[QueryReviewer]:
        """Assignments by agency and system (of one agency, or of one person, when given)."""

    def save_query_flag_review(self, review: QueryFlagReview) -> QueryFlagReview:
        """Create or replace the state of one flag (agency, system, month, event_id, kind)."""

    def query_flag_reviews(self, *, agency: str | None, system: str | None = None, month: str | None = None,
                           querier_account: str | None = None,
                           states: tuple[str, ...] = ()) -> list[QueryFlagReview]:
        """Flag states of one agency (None: all), narrowed by system, month, querier and states."""

    def claim_mail(self, *, day: str, recipient: str, topic: str, now: datetime) -> bool:
        """True once per (day, recipient, topic): the caller sends that mail; False: sent already."""

    def release_mail(self, *, day: str, recipient: str, topic: str) -> None:
        """Give a claim back (the mail could not be sent), so that a later run sends it."""


class Oversight(Protocol):
    """The data provider's audits of agencies (規範 七) and the agencies' incident reports (六(六)4)."""

    def add_inspection(self, inspection: Inspection) -> Inspection: ...

    def inspections(self, *, agency: str | None = None) -> list[Inspection]:
        """Scheduled audits (of one agency when given), soonest first."""

    def inspection(self, inspection_id: str) -> Inspection | None: ...

    def update_inspection(self, inspection: Inspection) -> Inspection:
        """Write the audit's state (answers sent, final record); ``NotFound`` for an unknown id."""

    def save_inspection_item(self, item: InspectionItem) -> InspectionItem:
        """Create or replace one checklist item (inspection_id, item)."""

    def inspection_items(self, inspection_id: str) -> list[InspectionItem]:
        """The audit's checklist items, by item number."""

    def save_inspection_finding(self, finding: InspectionFinding) -> InspectionFinding:
        """Create or replace one finding (inspection_id, number)."""

    def inspection_findings(self, *, inspection_id: str | None = None,
                            agency: str | None = None) -> list[InspectionFinding]:
        """Findings of one audit or of one agency (all when neither), by audit and number."""

    def add_incident(self, incident: Incident) -> Incident: ...

    def set_incident_reported(self, record_id: str, *, at: datetime, how: str) -> bool:
        """Record when the provider had the report; False when it was recorded before (kept)."""

    def incidents(self, *, agency: str | None = None) -> list[Incident]:
        """Incidents (of one agency when given), newest first."""


@runtime_checkable
class IdempotencyKeys(Protocol):
    def reserve_idempotency_key(self, actor: str, key: str, request_hash: str) -> IdempotencyKey | None:
        """Reserve ``key`` for ``actor`` (None: reserved now, go ahead) or return the existing one."""

    def complete_idempotency_key(self, actor: str, key: str, response: dict[str, Any]) -> None: ...

    def release_idempotency_key(self, actor: str, key: str) -> None:
        """Forget a pending reservation whose request failed, so a retry can run."""


@runtime_checkable
class Batches(Protocol):
    """Batches and their entries: the background workers take entries one at a time under a lease,
    so workers on several machines share a batch and an entry whose worker died is taken again."""

    def add_batch(self, batch: Batch, entries: list[BatchEntry]) -> Batch: ...

    def batch(self, batch_id: str) -> Batch | None: ...

    def batch_entries(self, batch_id: str, *, from_number: int = 1, limit: int | None = None) -> list[BatchEntry]:
        """The batch's entries, by number, without their inputs (``input`` None): what became of
        each; a worker gets an entry's input from ``take_batch_entry``.  From ``from_number`` on, at
        most ``limit`` of them when given (a window, for following a large batch)."""

    def batch_entry_counts(self, batch_id: str) -> dict[str, int]:
        """The batch's entries counted by state (states with none left out)."""

    def take_batch_entry(self, batch_id: str, *, worker: str, now: datetime,
                         lease: timedelta) -> BatchEntry | None:
        """Hand ``worker`` the lowest-numbered entry that is queued, or running with its lease
        passed, marked running until ``now + lease`` (attempts + 1); None when there is none or the
        batch is paused past ``now``.  A cancelled batch hands out only entries running past their
        lease (begun before the cancel).  Two workers never hold the same entry at once."""

    def pause_batch(self, batch_id: str, *, until: datetime, because: dict[str, Any]) -> None:
        """Hand out no entry of the batch before ``until`` (a fault met; ``because`` says which)."""

    def end_batch_entry(self, entry: BatchEntry, *, now: datetime) -> bool:
        """Write a running entry's end (``state`` done, refused or failed; ``record_id``,
        ``problem``); False, changing nothing, when the entry has ended already."""

    def cancel_batch(self, batch_id: str, *, now: datetime) -> int:
        """Cancel the batch's queued entries (running ones finish); how many were cancelled."""

    def finish_batch(self, batch_id: str, *, now: datetime) -> bool:
        """Mark the batch finished when no entry is queued or running; True for exactly one caller."""

    def unfinished_batches(self) -> list[Batch]:
        """Batches with an entry still queued or running, oldest first."""

    def recent_batches(self, *, agency: str | None, limit: int = 50) -> list[tuple[Batch, dict[str, int]]]:
        """The newest batches (of one agency when given) with their entries counted by state."""


@runtime_checkable
class Catalog(RecordCatalog, AuditLog, AccessCatalog, WorkCatalog, QueryEventLog, QueryReview, Oversight,
              IdempotencyKeys, Batches, Protocol):
    """The whole catalog database."""

    db: Database  # the database it writes to, which other concerns' repositories share

    def create_schema(self) -> None:
        """Bring the database to the current schema (Alembic migrations)."""

    def ping(self) -> None:
        """Raise ``CatalogUnavailable`` unless the database answers."""

    def close(self) -> None: ...
