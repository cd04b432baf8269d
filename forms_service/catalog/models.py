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


class ConnectionAckRow(Base):
    """A 資料使用單位's acknowledgement of a connection another agency applied for naming it."""

    __tablename__ = "connection_acks"
    __table_args__ = (UniqueConstraint("connection_id", "agency", name="uq_connection_ack"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    connection_id: Mapped[str] = mapped_column(String(40))
    agency: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


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


class SetAsideObjectRow(Base):
    """An object version of an interrupted filing, known not to be a record's (see ``SetAsideObject``)."""

    __tablename__ = "set_aside_objects"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    version_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[str] = mapped_column(String(400))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


