"""Every concern's repository on one database, as the one object the edges hold.

Each concern owns its rows, values, repository and migrations (``catalog/`` records and the audit
log, ``access/`` accounts, ``querylog/`` query events and their review, ``connections/`` audits and
incidents, ``jobs/`` batches, ``notify/`` mails sent, ``signers/``, ``filing/`` signing sessions).
Domain code asks for the protocols it uses (``RecordCatalog``, ``AccessCatalog``, …) and never for
this composite; the edges build one ``SqlCatalog`` so that everything shares one engine and a
concern's act and its audit entry commit in one transaction.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .access.store import SqlAccounts
from .access.values import AccessCatalog
from .catalog.protocol import AuditLog, IdempotencyKeys, RecordCatalog, WorkCatalog
from .catalog.sql import SqlRecords
from .connections.store import SqlOversight
from .connections.values import Oversight
from .db.database import Database
from .db.guard import does, translating_database_errors
from .jobs.store import SqlBatches
from .jobs.values import Batches
from .notify.store import MailClaims, SqlMailClaims
from .querylog.store import SqlQueryLog
from .querylog.values import QueryEventLog, QueryReview


@runtime_checkable
class Catalog(RecordCatalog, AuditLog, WorkCatalog, IdempotencyKeys, AccessCatalog, QueryEventLog, QueryReview,
              MailClaims, Oversight, Batches, Protocol):
    """Every concern's repository on the one database."""

    db: Database  # the database it writes to, which the signers' and sessions' repositories share

    def create_schema(self) -> None:
        """Bring the database to the current schema (every concern's Alembic migrations)."""

    def ping(self) -> None:
        """Raise ``CatalogUnavailable`` unless the database answers."""

    def close(self) -> None: ...


@translating_database_errors
class SqlCatalog(SqlRecords, SqlAccounts, SqlQueryLog, SqlMailClaims, SqlOversight, SqlBatches):
    """``Catalog`` on SQLAlchemy: SQLite by default (a file in the data directory), PostgreSQL by URL."""

    def __init__(self, url: str, *, echo: bool = False, database: Database | None = None):
        super().__init__(database or Database(url, echo=echo))

    @does("migrate the catalog")
    def create_schema(self) -> None:
        from .db.migrate import upgrade

        upgrade(self.engine)
