"""SQLAlchemy 2 tables of the catalog (``…Row``).  Portable SQL: the same models run on SQLite and
PostgreSQL.  Only ``catalog/`` sees these rows; everyone else gets the frozen values of ``values.py``."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..audit.store import AuditEventRow, AuditHeadRow, AuditSealRow  # noqa: F401 (the one metadata)
from ..db.base import Base, UtcDateTime


class RecordRow(Base):
    """One form instance (e.g. one agency's 約定書); its content lives in versions."""

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(40), index=True)
    agency_name: Mapped[str] = mapped_column(String(300))
    agency_code: Mapped[str] = mapped_column(String(20), default="")
    user_unit_name: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(20), default="active")
    period_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    period_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    input: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(80), default="")
    # The connection (介接案) the record belongs to — its first 附件1's id — and the 資料使用單位 and
    # system it names: a connection's records, and a system's connections, by index.
    connection_id: Mapped[str] = mapped_column(String(40), default="", server_default="", index=True)
    user_unit_code: Mapped[str] = mapped_column(String(20), default="", server_default="")
    system_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The signature blocks its document is signed in, in order (forms/signatures.py); [] before them.
    signing_order: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # The block its next signer signs ("" when none is left; RETURNED once a signer returned it).
    awaiting: Mapped[str] = mapped_column(String(40), default="", server_default="", index=True)

    versions: Mapped[list[VersionRow]] = relationship(
        back_populates="record", order_by="VersionRow.number", cascade="all, delete-orphan"
    )
    subjects: Mapped[list[RecordSubjectRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        Index("ix_records_agency_form_created", "agency_name", "form_id", "created_at"),
        Index("ix_records_agency_code", "agency_code"),
        Index("ix_records_code_form_created", "agency_code", "form_id", "created_at"),
        Index("ix_records_unit_system", "user_unit_code", "system_name"),
    )


class RecordSubjectRow(Base):
    """A 統一編號 a record is about (附件5: every business queried), for searching by company."""

    __tablename__ = "record_subjects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    ubn: Mapped[str] = mapped_column(String(8), index=True)


class VersionRow(Base):
    """One immutable PDF in the object store (object key + the store's version id)."""

    __tablename__ = "versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(300))
    object_version: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    signatures: Mapped[int] = mapped_column(Integer, default=0)
    signature_report: Mapped[list] = mapped_column(JSON, default=list)
    retention_mode: Mapped[str] = mapped_column(String(20), default="")
    retain_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The catalog entry written beside the PDF (JSON), from which ``catalog rebuild`` recreates this row.
    entry_object_key: Mapped[str] = mapped_column(String(300), default="")
    entry_object_version: Mapped[str] = mapped_column(String(200), default="")
    pdfa: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")

    record: Mapped[RecordRow] = relationship(back_populates="versions")
    revisions: Mapped[list[RevisionHashRow]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    __table_args__ = (
        UniqueConstraint("record_id", "number", name="uq_version_number"),
        Index("ix_versions_sha256", "sha256"),
    )


class RevisionHashRow(Base):
    """sha256 of each earlier revision inside a stored PDF: a file cut back to one of them is
    recognised as a truncated copy of this version, not as a valid document of its own."""

    __tablename__ = "revision_hashes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("versions.id"))
    sha256: Mapped[str] = mapped_column(String(64), index=True)


class ApiTokenRow(Base):
    """A bearer token, stored as its sha256 only; the token itself is shown once at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    agency: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(200), default="")
    # CIDRs the token may be used from, comma-separated; empty = the role's networks (settings).
    allowed_networks: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # The business system a token of role "system" posts query events for.
    system: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # A person's own token: it acts as that user (role and agency from the user, refused when locked).
    username: Mapped[str] = mapped_column(String(80), default="", server_default="")
    # A system token's connection (介接案): its events are checked against that connection only.
    connection_id: Mapped[str] = mapped_column(String(40), default="", server_default="")


class ConnectionAckRow(Base):
    """A 資料使用單位's acknowledgement of a connection another agency applied for naming it."""

    __tablename__ = "connection_acks"
    __table_args__ = (UniqueConstraint("connection_id", "agency", name="uq_connection_ack"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(40))
    agency: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SessionRow(Base):
    """A signed-in person's session, kept here so that it can end: at sign-out, when the account
    is locked, its role or password changes, or it expires.  The cookie holds only its id."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the id in the cookie
    username: Mapped[str] = mapped_column(String(80), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class TombstoneRow(Base):
    """What remains of a disposed record: who asked, who approved, what was deleted, and where the
    signed disposition certificate is archived."""

    __tablename__ = "tombstones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(String(40), unique=True)
    form_id: Mapped[str] = mapped_column(String(40))
    agency_name: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(400))
    versions: Mapped[list] = mapped_column(JSON)  # [{number, object_key, object_version, sha256}]
    requested_by: Mapped[str] = mapped_column(String(80))
    request_reason: Mapped[str] = mapped_column(String(400))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    approved_by: Mapped[str] = mapped_column(String(80), default="")
    disposed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    certificate_key: Mapped[str] = mapped_column(String(300), default="")
    certificate_version: Mapped[str] = mapped_column(String(200), default="")


class IdempotencyKeyRow(Base):
    """A client's Idempotency-Key: a retried POST gets the first answer, never a second record."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done
    response: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("actor", "key", name="uq_idempotency_actor_key"),)


class UserRow(Base):
    """A person signing in to the web pages: password stored as scrypt, locked after failures."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    agency: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    full_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    email: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # The person's account in the agency's business systems (the ``user.account`` of query events).
    system_account: Mapped[str] = mapped_column(String(100), default="", server_default="")


class DraftRow(Base):
    """A form being filled in the browser, per agency; deleted once it is signed and archived."""

    __tablename__ = "drafts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency: Mapped[str] = mapped_column(String(300), index=True)
    form_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(500))
    data: Mapped[dict] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The block whose person must sign it first, when the draft was filed and waits for him ("" else).
    awaiting: Mapped[str] = mapped_column(String(40), default="", server_default="")


class AgencyProfileRow(Base):
    """What an agency's new forms start with, by 機關代碼."""

    __tablename__ = "agency_profiles"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class QueryEventRow(Base):
    """One query a business system reported (規範 六(四)2: the users' queries a 查核人員 checks monthly).
    Evidence: appended, never changed; a retry of the same (agency, system, event_id) is not a new row."""

    __tablename__ = "query_events"
    __table_args__ = (UniqueConstraint("agency", "system", "event_id", name="uq_query_event"),
                      Index("ix_query_events_month", "agency", "system", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[dict] = mapped_column(JSON)  # the event as received and validated
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_by: Mapped[str] = mapped_column(String(200))


class QueryMonthRow(Base):
    """A closed month of one system's query events: sealed into the store, then signed off as a 附件5."""

    __tablename__ = "query_months"
    __table_args__ = (UniqueConstraint("agency", "system", "month", name="uq_query_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    month: Mapped[str] = mapped_column(String(7))  # 2026-11
    count: Mapped[int] = mapped_column(Integer)
    object_key: Mapped[str] = mapped_column(String(500))
    object_version: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_by: Mapped[str] = mapped_column(String(200))
    record_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # the signed 附件5


class QueryReviewerRow(Base):
    """The 查核人員 an administrator assigned to one business system's monthly check (規範 六(四)2)."""

    __tablename__ = "query_reviewers"
    __table_args__ = (UniqueConstraint("agency", "system", name="uq_query_reviewer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    username: Mapped[str] = mapped_column(String(80))
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime())
    assigned_by: Mapped[str] = mapped_column(String(200))


class QueryFlagReviewRow(Base):
    """What became of one flag of one month: the 查核人員's request for a 查調者說明, the querier's
    answer, the verdict (explained / 違規).  Each step is also in the audit log."""

    __tablename__ = "query_flag_reviews"
    __table_args__ = (UniqueConstraint("agency", "system", "month", "event_id", "kind", name="uq_query_flag_review"),
                      Index("ix_query_flag_reviews_querier", "agency", "querier_account", "state"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency: Mapped[str] = mapped_column(String(20))
    system: Mapped[str] = mapped_column(String(200))
    month: Mapped[str] = mapped_column(String(7))
    event_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    sentence: Mapped[str] = mapped_column(String(500))
    querier_account: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))  # requested | answered | explained | violation
    request_note: Mapped[str] = mapped_column(String(1000), default="")
    requested_by: Mapped[str] = mapped_column(String(200), default="")
    requested_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    answer: Mapped[str] = mapped_column(String(2000), default="")
    answered_by: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decision_note: Mapped[str] = mapped_column(String(1000), default="")
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InspectionRow(Base):
    """The data provider's audit (稽核) of an agency (規範 七) — called an inspection here, apart
    from the service's own audit log — scheduled at least a month ahead."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20), index=True)
    connection_id: Mapped[str] = mapped_column(String(40), default="")
    audit_on: Mapped[date] = mapped_column(Date)
    team: Mapped[str] = mapped_column(String(500))
    scheduled_by: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    answered_by: Mapped[str] = mapped_column(String(200), default="")
    filled_by: Mapped[str] = mapped_column(String(200), default="")
    filled_title: Mapped[str] = mapped_column(String(200), default="")
    record_id: Mapped[str] = mapped_column(String(40), default="")
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InspectionItemRow(Base):
    """One checklist item of an audit: the agency's answer and evidence, the team's result."""

    __tablename__ = "inspection_items"

    inspection_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item: Mapped[int] = mapped_column(Integer, primary_key=True)
    self_result: Mapped[str] = mapped_column(String(20), default="")
    self_note: Mapped[str] = mapped_column(String(2000), default="")
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    answered_by: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    result: Mapped[str] = mapped_column(String(20), default="")
    result_note: Mapped[str] = mapped_column(String(2000), default="")
    judged_by: Mapped[str] = mapped_column(String(200), default="")
    judged_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InspectionFindingRow(Base):
    """A finding of an audit, its deadline, reply and closing."""

    __tablename__ = "inspection_findings"
    __table_args__ = (Index("ix_inspection_findings_agency", "agency"),)

    inspection_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(20))
    item: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issue: Mapped[str] = mapped_column(String(2000))
    action: Mapped[str] = mapped_column(String(2000))
    due_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reply: Mapped[str] = mapped_column(String(4000), default="")
    replied_by: Mapped[str] = mapped_column(String(200), default="")
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_by: Mapped[str] = mapped_column(String(200), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class IncidentRow(Base):
    """A 資通安全事件 recorded by an agency, and when the provider had its report."""

    __tablename__ = "incidents"

    record_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20), index=True)
    system: Mapped[str] = mapped_column(String(200))
    related_record: Mapped[str] = mapped_column(String(40), default="")
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    level: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reported_how: Mapped[str] = mapped_column(String(1000), default="")


class MailSentRow(Base):
    """A reminder mail claimed for one recipient, topic and day, so that it goes out once however
    many processes send reminders."""

    __tablename__ = "mails_sent"
    __table_args__ = (UniqueConstraint("day", "recipient", "topic", name="uq_mail_sent"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class SetAsideObjectRow(Base):
    """An object version of an interrupted filing, known not to be a record's (see ``SetAsideObject``)."""

    __tablename__ = "set_aside_objects"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    version_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(400))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BatchRow(Base):
    """A batch of documents asked for in one request (the background workers produce them)."""

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(40))
    agency: Mapped[str] = mapped_column(String(20), index=True)
    actor: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    webhook_url: Mapped[str] = mapped_column(String(2000), default="")
    webhook_secret: Mapped[str] = mapped_column(String(100), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    paused_because: Mapped[dict | None] = mapped_column(JSON, nullable=True)


class BatchEntryRow(Base):
    """One input of a batch: its state, who holds it and until when, and the record it became."""

    __tablename__ = "batch_entries"
    __table_args__ = (Index("ix_batch_entries_state", "batch_id", "state"),)

    batch_id: Mapped[str] = mapped_column(String(40), ForeignKey("batches.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    input: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(40), default="")
    problem: Mapped[dict] = mapped_column(JSON, default=dict)
    worker: Mapped[str] = mapped_column(String(200), default="")
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
