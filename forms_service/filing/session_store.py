"""Signing sessions' rows: a document prepared for one person's signature, kept between the two
steps of signing with a card (``sessions.py``) — in the database, so any process of the service
may complete what another prepared.  A session is deleted when it completes or expires: it leaves
nothing behind (the audit log keeps that it was begun and how it ended)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, LargeBinary, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from ..audit.store import audit_row
from ..catalog import NewAuditEvent
from ..db.base import Base, UtcDateTime
from ..db.database import Database
from ..db.guard import does, translating_database_errors


class SigningSessionRow(Base):
    """A document prepared for one signature in one block, waiting for the card's answer."""

    __tablename__ = "signing_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    actor: Mapped[str] = mapped_column(String(200))  # who began it: only he completes it
    agency: Mapped[str] = mapped_column(String(20), index=True)  # the document's agency (機關代碼)
    form_id: Mapped[str] = mapped_column(String(64))
    block: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(40), default="")  # "" for a new filing
    base_version: Mapped[int] = mapped_column(Integer, default=0)  # the version signed over (0: new)
    draft_id: Mapped[str] = mapped_column(String(40), default="")  # the draft it files, if any
    data: Mapped[dict] = mapped_column(JSON, default=dict)  # a new filing's input, as checked
    signing_order: Mapped[list] = mapped_column(JSON, default=list)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    pdfa: Mapped[dict] = mapped_column(JSON, default=dict)
    by_provider: Mapped[bool] = mapped_column(Boolean, default=False)
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    document: Mapped[bytes] = mapped_column(LargeBinary)
    original_length: Mapped[int] = mapped_column(Integer)
    to_be_signed: Mapped[bytes] = mapped_column(LargeBinary)
    document_digest: Mapped[bytes] = mapped_column(LargeBinary)
    reserved_start: Mapped[int] = mapped_column(Integer)
    reserved_end: Mapped[int] = mapped_column(Integer)
    md_algorithm: Mapped[str] = mapped_column(String(10))
    signing_time: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


@dataclass(frozen=True)
class SigningSession:
    id: str
    actor: str
    agency: str
    form_id: str
    block: str
    certificate: bytes
    document: bytes
    original_length: int
    to_be_signed: bytes
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    md_algorithm: str
    signing_time: datetime
    created_at: datetime
    expires_at: datetime
    record_id: str = ""
    base_version: int = 0
    draft_id: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    signing_order: list[str] = field(default_factory=list)
    pages: int = 0
    pdfa: dict[str, Any] = field(default_factory=dict)
    by_provider: bool = False


@translating_database_errors
class SqlSigningSessions:
    def __init__(self, database: Database):
        self.db = database

    @does("keep the signing session")
    def add(self, session: SigningSession, event: NewAuditEvent) -> None:
        with self.db.writing() as s:
            s.add(SigningSessionRow(**{name: getattr(session, name) for name in SigningSession.__dataclass_fields__}))
            s.add(audit_row(s, event))

    @does("read the signing session")
    def get(self, session_id: str) -> SigningSession | None:
        with self.db.sessions() as s:
            row = s.get(SigningSessionRow, session_id)
            return _session(row) if row is not None else None

    @does("end the signing session")
    def end(self, session_id: str, event: NewAuditEvent | None = None) -> bool:
        """Delete the session (with its audit entry); False when another request ended it first."""
        with self.db.writing() as s:
            result = s.execute(delete(SigningSessionRow).where(SigningSessionRow.id == session_id))
            if not getattr(result, "rowcount", 0):
                return False
            if event is not None:
                s.add(audit_row(s, event))
            return True

    @does("list the expired signing sessions")
    def expired(self, now: datetime, *, limit: int = 500) -> list[str]:
        with self.db.sessions() as s:
            return list(s.scalars(select(SigningSessionRow.id).where(SigningSessionRow.expires_at <= now)
                                  .limit(limit)))


def _session(row: SigningSessionRow) -> SigningSession:
    return SigningSession(**{name: getattr(row, name) for name in SigningSession.__dataclass_fields__})
