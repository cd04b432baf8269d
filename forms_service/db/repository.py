"""What every concern's SQL repository shares: the database, its read and write sessions, and the
translation of frozen values into row columns.

A concern's repository (``catalog.sql.SqlRecords``, ``access.store.SqlAccounts``,
``querylog.store.SqlQueryLog``, …) subclasses ``Repository`` and is decorated with
``@translating_database_errors``; the edges hold all of them as one object on one database
(``forms_service.repositories.SqlCatalog``), so that a concern's act and its audit entry can commit
in one transaction.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from .database import Database


class Repository:
    """A concern's rows on the shared ``Database``."""

    def __init__(self, database: Database):
        self.db = database
        self.url = database.url
        self.engine = database.engine
        self._sessions = database.sessions
        self._writing = database.writing


def shallow(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, without ``asdict``'s deep copy of every value."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}
