"""The audit log's rows and its chain writer: each entry's hash covers its content and the previous
entry's hash (``chain.py``), written in the transaction of the act it records.

Every concern that records an act writes its entry with ``chain_entries`` in its own transaction
(a record filed, a key registered, a session's signature), so the act and its entry are one.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import JSON, Date, Index, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db.base import Base, UtcDateTime
from . import request_ids
from .chain import GENESIS, entry_hash


class AuditEventRow(Base):
    """Who did what to which record, when and from where; written in the same transaction as the act."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    agency: Mapped[str] = mapped_column(String(300), default="")
    action: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")
    record_id: Mapped[str] = mapped_column(String(40), default="", index=True)
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    # Hash chain: each entry's hash covers its content and the previous entry's hash, so editing,
    # deleting or reordering any entry breaks the chain from there on (``audit verify``).
    prev_hash: Mapped[str] = mapped_column(String(64), default="")
    hash: Mapped[str] = mapped_column(String(64), default="")

    # Rate limiting counts an address's recent refusals.
    __table_args__ = (Index("ix_audit_events_source_ip_at", "source_ip", "at"),)


class AuditHeadRow(Base):
    """The newest hash of the audit chain, one row; updated first in every audit write so that
    writers (threads, processes, both backends) take their turn."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="")


class AuditSealRow(Base):
    """A sealed day of the audit log: its entries written to the object store as JSON Lines with a
    detached signature, under retention, so the trail outlives the database."""

    __tablename__ = "audit_seals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, unique=True)  # Taipei calendar day
    first_id: Mapped[int] = mapped_column(Integer)
    last_id: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))  # the chain hash before the first entry
    last_hash: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(300))
    object_version: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    signature_key: Mapped[str] = mapped_column(String(300))
    signature_version: Mapped[str] = mapped_column(String(200))
    retain_until: Mapped[datetime] = mapped_column(UtcDateTime())
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime())


def chain_entries(session: Session, events: list[Any]) -> list[dict[str, Any]]:
    """The next entries of the hash chain for ``events`` (``NewAuditEvent`` values), each chained to
    the one before, as column values to be inserted in this order in ``session``'s transaction.

    The head row is updated *first*: that takes the database's write lock (SQLite) or the row's
    lock (PostgreSQL), so concurrent writers — threads or processes — chain one after another.  The
    head is moved once for all of ``events``, which are written together at one time."""
    bump = update(AuditHeadRow).where(AuditHeadRow.id == 1).values(count=AuditHeadRow.count + len(events))
    if session.get_bind().dialect.name == "postgresql":
        # One round trip: the lock, the previous hash and the entries' time from the database's clock
        # (``clock_timestamp()`` read under the lock, so times rise with ids whichever host writes).
        previous, at = session.execute(bump.returning(AuditHeadRow.hash, func.clock_timestamp())).one()
        at = at.astimezone(timezone.utc)
    else:  # SQLite is one host's file, whose clock is this one
        session.execute(bump)
        previous, at = session.scalar(select(AuditHeadRow.hash).where(AuditHeadRow.id == 1)), _now()
    previous = previous or GENESIS
    entries = []
    for new_event in events:
        entry = {**{name: getattr(new_event, name) for name in new_event.__dataclass_fields__}, "at": at,
                 "detail": request_ids.tagged(new_event.detail)}
        entry["prev_hash"], entry["hash"] = previous, entry_hash(previous, **entry)
        previous = entry["hash"]
        entries.append(entry)
    session.execute(update(AuditHeadRow).where(AuditHeadRow.id == 1).values(hash=previous))
    return entries


def _now() -> datetime:
    return datetime.now(timezone.utc)


def audit_row(session: Session, event: Any) -> AuditEventRow:
    """The next entry of the hash chain for ``event``, in ``session``'s transaction (added by the caller)."""
    return AuditEventRow(**chain_entries(session, [event])[0])
