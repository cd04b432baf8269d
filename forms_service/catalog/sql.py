"""``SqlCatalog``: the ``Catalog`` protocol on SQLAlchemy (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, delete, event, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload, sessionmaker

from ..errors import ServiceUnavailable
from .chain import GENESIS, row_hash
from .models import User, ApiToken, AuditHead, AuditEvent, AuditSeal, IdempotencyKey, Record, RecordSubject, RevisionHash, Tombstone, Version
from .protocol import NewAuditEvent, NewRecord, NewVersion, RecordFilter


class CatalogUnavailable(ServiceUnavailable):
    code = "catalog_unavailable"


class SqlCatalog:
    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        kwargs: dict = {"echo": echo, "future": True}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and makes the others sleep and retry, which under load
        # adds seconds to the slowest requests; threads of one process queue here instead.
        self._write_lock = threading.Lock() if url.startswith("sqlite") else None

    @contextmanager
    def _writing(self):
        """A write transaction (for SQLite, one thread of this process at a time)."""
        if self._write_lock is None:
            with self._sessions.begin() as session:
                yield session
            return
        with self._write_lock, self._sessions.begin() as session:
            yield session

    def create_schema(self) -> None:
        """Bring the database to the current schema (Alembic migrations)."""
        from .migrate import upgrade

        with self._guard("migrate the catalog"):
            upgrade(self.engine)

    # --- records ----------------------------------------------------------------------------

    def add_record(self, record: NewRecord, version: NewVersion, event: NewAuditEvent) -> None:
        with self._guard("write the record"), self._writing() as s:
            data = _shallow(record)
            subjects = data.pop("subjects")
            row = Record(**data)
            s.add_all(RecordSubject(record_id=record.id, ubn=ubn) for ubn in sorted(set(subjects)))
            row.versions.append(_version_row(version))
            s.add(row)
            s.add(_audit_row(s, event))

    def add_version(self, record_id: str, version: NewVersion, event: NewAuditEvent) -> None:
        with self._guard("write the version"), self._writing() as s:
            row = _version_row(version)
            row.record_id = record_id
            s.add(row)
            s.add(_audit_row(s, event))

    def find_version_by_hash(self, sha256: str) -> tuple[Version, bool] | None:
        with self._guard("look up the hash"), self._sessions() as s:
            whole = s.scalars(select(Version).options(selectinload(Version.record)).where(Version.sha256 == sha256)).first()
            if whole is not None:
                return whole, True
            part = s.scalars(
                select(Version).options(selectinload(Version.record))
                .join(RevisionHash, RevisionHash.version_id == Version.id).where(RevisionHash.sha256 == sha256)
            ).first()
            return (part, False) if part is not None else None

    def all_versions(self) -> list[Version]:
        with self._guard("list the versions"), self._sessions() as s:
            return list(s.scalars(select(Version).order_by(Version.record_id, Version.number)))

    def latest_versions(self) -> list[Version]:
        with self._guard("list the versions"), self._sessions() as s:
            newest = select(Version.record_id, func.max(Version.number).label("n")).group_by(Version.record_id).subquery()
            return list(s.scalars(
                select(Version).options(selectinload(Version.record))
                .join(newest, (Version.record_id == newest.c.record_id) & (Version.number == newest.c.n))
            ))

    def get_record(self, record_id: str, *, agency: str | None = None) -> Record | None:
        with self._guard("read the record"), self._sessions() as s:
            query = select(Record).options(selectinload(Record.versions)).where(Record.id == record_id)
            if agency is not None:
                query = query.where(_agency_clause(agency))
            return s.scalars(query).first()

    def versions(self, record_id: str) -> list[Version]:
        with self._guard("read the versions"), self._sessions() as s:
            return list(s.scalars(select(Version).where(Version.record_id == record_id).order_by(Version.number)))

    def find_records(self, query: RecordFilter) -> list[Record]:
        with self._guard("search the records"), self._sessions() as s:
            q = select(Record).options(selectinload(Record.versions))
            if query.agency is not None:
                q = q.where(_agency_clause(query.agency))
            if query.form_id:
                q = q.where(Record.form_id == query.form_id)
            if query.created_from is not None:
                q = q.where(Record.created_at >= query.created_from)
            if query.created_until is not None:
                q = q.where(Record.created_at < query.created_until)
            if query.subject:
                q = q.where(Record.id.in_(select(RecordSubject.record_id).where(RecordSubject.ubn == query.subject)))
            q = q.order_by(Record.created_at.desc(), Record.id).limit(query.limit).offset(query.offset)
            return list(s.scalars(q))

    # --- tokens -----------------------------------------------------------------------------

    def add_token(self, token_hash: str, *, prefix: str, agency: str, role: str, label: str,
                  allowed_networks: str = "") -> ApiToken:
        with self._guard("store the token"), self._writing() as s:
            row = ApiToken(token_hash=token_hash, prefix=prefix, agency=agency, role=role, label=label,
                           allowed_networks=allowed_networks, created_at=_now())
            s.add(row)
        return row

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        with self._guard("check the token"), self._sessions() as s:
            return s.scalars(
                select(ApiToken).where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
            ).first()

    def revoke_tokens(self, *, label: str) -> int:
        with self._guard("revoke tokens"), self._writing() as s:
            result = s.execute(
                update(ApiToken).where(ApiToken.label == label, ApiToken.revoked_at.is_(None)).values(revoked_at=_now())
            )
            return result.rowcount or 0

    def update_version_lock(self, record_id: str, number: int, event: NewAuditEvent, *,
                            legal_hold: bool | None = None, retain_until: datetime | None = None) -> None:
        values: dict = {}
        if legal_hold is not None:
            values["legal_hold"] = legal_hold
        if retain_until is not None:
            values["retain_until"] = retain_until
        with self._guard("record the lock change"), self._writing() as s:
            s.execute(update(Version).where(Version.record_id == record_id, Version.number == number).values(**values))
            s.add(_audit_row(s, event))

    # --- disposition ----------------------------------------------------------------------------

    def records_past_retention(self, now: datetime) -> list[Record]:
        """Active records whose every version's retention has ended and none is on legal hold."""
        with self._guard("list records past retention"), self._sessions() as s:
            blocking = select(Version.record_id).where(
                or_(Version.retain_until.is_(None), Version.retain_until > now, Version.legal_hold.is_(True)))
            return list(s.scalars(
                select(Record).options(selectinload(Record.versions))
                .where(Record.status == "active", Record.id.in_(select(Version.record_id)), Record.id.not_in(blocking))
                .order_by(Record.created_at)
            ))

    def add_tombstone(self, tombstone: Tombstone, event: NewAuditEvent) -> None:
        with self._guard("record the disposal request"), self._writing() as s:
            s.add(tombstone)
            s.execute(update(Record).where(Record.id == tombstone.record_id).values(status="disposal-requested"))
            s.add(_audit_row(s, event))

    def tombstone(self, record_id: str) -> Tombstone | None:
        with self._guard("read the tombstone"), self._sessions() as s:
            return s.scalars(select(Tombstone).where(Tombstone.record_id == record_id)).first()

    def complete_disposal(self, record_id: str, *, approved_by: str, disposed_at: datetime, certificate_key: str,
                          certificate_version: str, event: NewAuditEvent) -> None:
        """The versions are gone from the store: drop their rows, keep the record as a tombstone."""
        with self._guard("record the disposal"), self._writing() as s:
            s.execute(update(Tombstone).where(Tombstone.record_id == record_id).values(
                approved_by=approved_by, disposed_at=disposed_at, certificate_key=certificate_key,
                certificate_version=certificate_version))
            version_ids = select(Version.id).where(Version.record_id == record_id)
            s.execute(delete(RevisionHash).where(RevisionHash.version_id.in_(version_ids)))
            s.execute(delete(Version).where(Version.record_id == record_id))
            s.execute(update(Record).where(Record.id == record_id).values(status="disposed", input={}))
            s.add(_audit_row(s, event))

    # --- users ----------------------------------------------------------------------------------

    def add_user(self, username: str, password_hash: str, *, agency: str, role: str) -> User:
        with self._guard("store the user"), self._writing() as s:
            row = User(username=username, password_hash=password_hash, agency=agency, role=role, created_at=_now())
            s.add(row)
        return row

    def user(self, username: str) -> User | None:
        with self._guard("read the user"), self._sessions() as s:
            return s.scalars(select(User).where(User.username == username)).first()

    def record_login(self, username: str, *, ok: bool, lock_after: int, lock_for: timedelta) -> None:
        with self._guard("record the sign-in"), self._writing() as s:
            row = s.scalars(select(User).where(User.username == username)).first()
            if row is None:
                return
            if ok:
                row.failed_logins, row.locked_until = 0, None
            else:
                row.failed_logins += 1
                if row.failed_logins >= lock_after:
                    row.locked_until, row.failed_logins = _now() + lock_for, 0

    # --- idempotency --------------------------------------------------------------------------

    def reserve_idempotency_key(self, actor: str, key: str, request_hash: str) -> IdempotencyKey | None:
        try:
            with self._writing() as s:
                s.add(IdempotencyKey(actor=actor, key=key, request_hash=request_hash, created_at=_now()))
            return None
        except IntegrityError:
            pass  # someone reserved it first: return what they recorded
        with self._guard("read the idempotency key"), self._sessions() as s:
            return s.scalars(select(IdempotencyKey).where(IdempotencyKey.actor == actor, IdempotencyKey.key == key)).first()

    def complete_idempotency_key(self, actor: str, key: str, response: dict) -> None:
        with self._guard("record the idempotency key"), self._writing() as s:
            s.execute(update(IdempotencyKey).where(IdempotencyKey.actor == actor, IdempotencyKey.key == key)
                      .values(state="done", response=response))

    def release_idempotency_key(self, actor: str, key: str) -> None:
        with self._guard("release the idempotency key"), self._writing() as s:
            s.execute(delete(IdempotencyKey).where(IdempotencyKey.actor == actor, IdempotencyKey.key == key,
                                                   IdempotencyKey.state == "pending"))

    # --- audit ------------------------------------------------------------------------------

    def audit(self, event: NewAuditEvent) -> None:
        with self._guard("write the audit event"), self._writing() as s:
            s.add(_audit_row(s, event))

    def audit_events(self, *, record_id: str | None = None, limit: int = 100) -> list[AuditEvent]:
        with self._guard("read the audit log"), self._sessions() as s:
            q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
            if record_id is not None:
                q = q.where(AuditEvent.record_id == record_id)
            return list(s.scalars(q))

    def verify_audit_chain(self) -> tuple[int, str]:
        """(entries checked, "" or a sentence naming the first broken entry)."""
        with self._guard("verify the audit log"), self._sessions() as s:
            previous, checked, last_id = GENESIS, 0, 0
            while True:
                batch = list(s.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                                       .order_by(AuditEvent.id).limit(5000)))
                if not batch:
                    break
                for row in batch:
                    if row.prev_hash != previous:
                        return checked, (f"entry {row.id} ({row.action} at {row.at:%Y-%m-%d %H:%M:%S}) does not follow "
                                         "the entry before it: an entry was deleted or the log reordered")
                    if row_hash(previous, row) != row.hash:
                        return checked, f"entry {row.id} ({row.action} at {row.at:%Y-%m-%d %H:%M:%S}) was altered"
                    previous, checked, last_id = row.hash, checked + 1, row.id
            head = s.get(AuditHead, 1)
            if head is not None and (head.hash or GENESIS) != previous:
                return checked, "the newest entries were removed (the chain's head is not the last entry)"
            return checked, ""

    def refusals_from(self, source_ip: str, *, since: datetime, actions: tuple[str, ...]) -> int:
        with self._guard("read the audit log"), self._sessions() as s:
            return s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.source_ip == source_ip, AuditEvent.at >= since, AuditEvent.outcome == "refused",
                AuditEvent.action.in_(actions))) or 0

    def audit_events_after(self, after_id: int, *, before: datetime, limit: int = 5000) -> list[AuditEvent]:
        with self._guard("read the audit log"), self._sessions() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.id > after_id, AuditEvent.at < before)
                                  .order_by(AuditEvent.id).limit(limit)))

    def audit_events_between(self, first_id: int, last_id: int) -> list[AuditEvent]:
        with self._guard("read the audit log"), self._sessions() as s:
            return list(s.scalars(select(AuditEvent).where(AuditEvent.id >= first_id, AuditEvent.id <= last_id)
                                  .order_by(AuditEvent.id)))

    def first_audit_event(self) -> AuditEvent | None:
        with self._guard("read the audit log"), self._sessions() as s:
            return s.scalars(select(AuditEvent).order_by(AuditEvent.id).limit(1)).first()

    def audit_seals(self) -> list[AuditSeal]:
        with self._guard("read the audit seals"), self._sessions() as s:
            return list(s.scalars(select(AuditSeal).order_by(AuditSeal.day)))

    def add_audit_seal(self, seal: AuditSeal, event: NewAuditEvent) -> bool:
        """Record a sealed day with its audit event; False when that day was sealed already
        (by another process)."""
        try:
            with self._writing() as s:
                s.add(seal)
                s.flush()
                s.add(_audit_row(s, event))
        except IntegrityError:
            return False
        except SQLAlchemyError as exc:
            raise CatalogUnavailable(f"cannot record the audit seal: the catalog database failed ({exc})") from exc
        return True

    # --- health -----------------------------------------------------------------------------

    def ping(self) -> None:
        with self._guard("reach the catalog"), self._sessions() as s:
            s.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()

    def _guard(self, action: str):
        return _Guard(action)


class _Guard:
    """Translate database errors into ``CatalogUnavailable`` with a sentence."""

    def __init__(self, action: str):
        self.action = action

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and isinstance(exc, SQLAlchemyError):
            reason = str(getattr(exc, "orig", None) or type(exc).__name__).splitlines()[0]
            raise CatalogUnavailable(f"cannot {self.action}: the catalog database failed ({reason})") from exc
        return False


def _version_row(version: NewVersion) -> Version:
    data = _shallow(version)
    hashes = data.pop("revision_hashes")
    row = Version(**data)
    row.revisions = [RevisionHash(sha256=h) for h in hashes]
    return row


def _agency_clause(agency: str):
    return or_(Record.agency_name == agency, Record.agency_code == agency)


def _audit_row(session, event: NewAuditEvent) -> AuditEvent:
    """The next entry of the hash chain, in ``session``'s transaction.

    The head row is updated *first*: that takes the database's write lock (SQLite) or the row's
    lock (PostgreSQL), so concurrent writers — threads or processes — chain one after another."""
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(count=AuditHead.count + 1))
    previous = session.scalar(select(AuditHead.hash).where(AuditHead.id == 1)) or GENESIS
    row = AuditEvent(at=_now(), **_shallow(event))
    row.prev_hash = previous
    row.hash = row_hash(previous, row)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=row.hash))
    return row


def _shallow(obj) -> dict:
    """A dataclass's fields as a dict, without ``asdict``'s deep copy of every value."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


__all__ = ["CatalogUnavailable", "SqlCatalog"]
