"""notify/ in the database: which reminder mails went out (``MailSentRow``: once per day, recipient
and topic, across processes and instances) and ``SqlMailClaims``, its repository, behind the
``MailClaims`` protocol (``tests/contract/test_mail_claims_store.py`` runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from sqlalchemy import Integer, String, UniqueConstraint, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, UtcDateTime
from ..db.guard import does, translating_database_errors
from ..db.repository import Repository


@runtime_checkable
class MailClaims(Protocol):
    """Which reminder mails went out: each once per day, recipient and topic, however many processes
    send reminders."""

    def claim_mail(self, *, day: str, recipient: str, topic: str, now: datetime) -> bool:
        """True once per (day, recipient, topic): the caller sends that mail; False: sent already."""

    def release_mail(self, *, day: str, recipient: str, topic: str) -> None:
        """Give a claim back (the mail could not be sent), so that a later run sends it."""


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


@translating_database_errors
class SqlMailClaims(Repository):
    """``MailClaims`` on the service's database (SQLite or PostgreSQL)."""

    @does("claim the reminder mail")
    def claim_mail(self, *, day: str, recipient: str, topic: str, now: datetime) -> bool:
        try:
            with self._writing() as s:
                s.add(MailSentRow(day=day, recipient=recipient, topic=topic, at=now))
            return True
        except IntegrityError:
            return False  # another process sends it

    @does("release the reminder mail")
    def release_mail(self, *, day: str, recipient: str, topic: str) -> None:
        with self._writing() as s:
            s.execute(delete(MailSentRow).where(MailSentRow.day == day, MailSentRow.recipient == recipient,
                                                MailSentRow.topic == topic))
