"""The signers' rows and their repository: keys held on the service's side per party, and the
certificates of people who sign with their own cards.  Every change carries its audit entry in the
same transaction; reads return the frozen values of ``values.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..audit.store import audit_row
from ..db.base import Base, UtcDateTime
from ..db.database import Database
from ..db.guard import does, translating_database_errors
from .values import NewAuditEvent, PersonCertificate, SignerKey


class SignerKeyRow(Base):
    """A key the service signs with for a party: where it is (never its PIN or password, only where
    to read them) and its certificate."""

    __tablename__ = "signer_keys"
    __table_args__ = (Index("ix_signer_keys_party_agency", "party", "agency"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    party: Mapped[str] = mapped_column(String(20))  # agency | provider | service
    agency: Mapped[str] = mapped_column(String(20), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(10))  # pkcs11 | pkcs12
    module: Mapped[str] = mapped_column(String(500), default="")
    token_label: Mapped[str] = mapped_column(String(200), default="")
    key_label: Mapped[str] = mapped_column(String(200), default="")
    path: Mapped[str] = mapped_column(String(500), default="")
    secret_source: Mapped[str] = mapped_column(String(500), default="")  # env:NAME | file:PATH | demo:LABEL
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    fingerprint: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(500))
    not_after: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(10), default="active")  # active | retired
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    registered_by: Mapped[str] = mapped_column(String(200))
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    retired_by: Mapped[str] = mapped_column(String(200), default="")


class PersonCertificateRow(Base):
    """A person's own certificate (a 自然人憑證 on his card), bound to his account."""

    __tablename__ = "person_certificates"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    subject: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(10))  # pending | approved | removed
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    registered_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    decided_by: Mapped[str] = mapped_column(String(200), default="")


@translating_database_errors
class SqlSigners:
    """``SignerStore`` on the service's database (SQLite or PostgreSQL)."""

    def __init__(self, database: Database):
        self.db = database

    @does("register the key")
    def add_key(self, key: SignerKey, event: NewAuditEvent) -> None:
        with self.db.writing() as s:
            s.add(SignerKeyRow(**_fields(key)))
            s.add(audit_row(s, event))

    @does("list the keys")
    def keys(self, *, party: str | None = None, agency: str | None = None,
             active_only: bool = False) -> list[SignerKey]:
        query = select(SignerKeyRow).order_by(SignerKeyRow.registered_at.desc(), SignerKeyRow.id)
        if party is not None:
            query = query.where(SignerKeyRow.party == party)
        if agency is not None:
            query = query.where(SignerKeyRow.agency == agency)
        if active_only:
            query = query.where(SignerKeyRow.state == "active")
        with self.db.sessions() as s:
            return [_key(r) for r in s.scalars(query)]

    @does("read the key")
    def key(self, key_id: str) -> SignerKey | None:
        with self.db.sessions() as s:
            row = s.get(SignerKeyRow, key_id)
            return _key(row) if row is not None else None

    @does("retire the key")
    def retire_key(self, key_id: str, *, by: str, at: datetime, event: NewAuditEvent) -> bool:
        with self.db.writing() as s:
            result = s.execute(update(SignerKeyRow).where(SignerKeyRow.id == key_id, SignerKeyRow.state == "active")
                               .values(state="retired", retired_at=at, retired_by=by))
            if not getattr(result, "rowcount", 0):
                return False
            s.add(audit_row(s, event))
            return True

    @does("register the certificate")
    def add_person_certificate(self, certificate: PersonCertificate, event: NewAuditEvent) -> bool:
        try:
            with self.db.writing() as s:
                s.add(PersonCertificateRow(**_fields(certificate)))
                s.add(audit_row(s, event))
            return True
        except IntegrityError:
            return False  # registered before (to this person or another)

    @does("read the certificate")
    def person_certificate(self, fingerprint: str) -> PersonCertificate | None:
        with self.db.sessions() as s:
            row = s.get(PersonCertificateRow, fingerprint)
            return _person(row) if row is not None else None

    @does("list the certificates")
    def person_certificates(self, *, username: str | None = None) -> list[PersonCertificate]:
        query = select(PersonCertificateRow).order_by(PersonCertificateRow.registered_at.desc())
        if username is not None:
            query = query.where(PersonCertificateRow.username == username)
        with self.db.sessions() as s:
            return [_person(r) for r in s.scalars(query)]

    @does("decide on the certificate")
    def decide_person_certificate(self, fingerprint: str, *, state: str, by: str, at: datetime,
                                  event: NewAuditEvent) -> bool:
        with self.db.writing() as s:
            result = s.execute(update(PersonCertificateRow).where(PersonCertificateRow.fingerprint == fingerprint)
                               .values(state=state, decided_at=at, decided_by=by))
            if not getattr(result, "rowcount", 0):
                return False
            s.add(audit_row(s, event))
            return True


def _fields(value: object) -> dict:
    return {name: getattr(value, name) for name in value.__dataclass_fields__}  # type: ignore[attr-defined]


def _key(row: SignerKeyRow) -> SignerKey:
    return SignerKey(**{name: getattr(row, name) for name in SignerKey.__dataclass_fields__})


def _person(row: PersonCertificateRow) -> PersonCertificate:
    return PersonCertificate(**{name: getattr(row, name) for name in PersonCertificate.__dataclass_fields__})
