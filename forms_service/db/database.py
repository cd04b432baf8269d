"""The database every concern's repository writes to: one engine, its sessions, and one writer at a
time where SQLite needs it — SQLite by default (a file in the data directory), PostgreSQL by URL.

Repositories (the catalog's, the signers', …) share one ``Database``: their rows live in one schema
(``db.base.Base``) and a concern's act and its audit entry commit in one transaction
(``writing()``).  Schema migrations: ``migrate.py``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session, sessionmaker


class Database:
    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        kwargs: dict[str, Any] = {"echo": echo}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and makes the others sleep and retry, which under load
        # adds seconds to the slowest requests; writers queue here instead — threads and, for a
        # database file, processes (a server's web workers) too.
        self._write_lock = _SqliteWriteLock(self.engine.url.database) if url.startswith("sqlite") else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """A write transaction (for SQLite, one writer of this database file at a time)."""
        if self._write_lock is None:
            with self.sessions.begin() as session:
                yield session
            return
        with self._write_lock, self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


class _SqliteWriteLock:
    """One SQLite writer at a time: a thread lock, then an flock on ``<database>.write-lock``.

    Waiting in the kernel, a writer starts the moment the previous one commits; SQLite's own busy
    handler sleeps in growing steps (up to 100 ms) while another process writes.
    """

    def __init__(self, database: str | None):
        self._threads = threading.Lock()
        self._path = f"{database}.write-lock" if database and database != ":memory:" else None
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            fd = self._file()
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _file(self) -> int | None:
        if self._path is None:
            return None
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            self._fd, self._pid = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self._fd


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
