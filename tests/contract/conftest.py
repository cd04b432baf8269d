"""What the contract suites share: a fresh database on each backend — SQLite in a file, or a new
database on the private PostgreSQL cluster — with every concern's schema (the fixtures still run the
start-up's upgrade on it, which finds a copied SQLite file current).  A concern's repository
is tested alone on it (``any_database``); the catalog's suite uses the edges' composite."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from forms_service.db.database import Database
from forms_service.db.migrate import upgrade
from forms_service.repositories import SqlCatalog


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def database_url(request, tmp_path) -> str:
    """A fresh database on each backend: SQLite in a file — a copy of one the migrations made in this
    test process (``migrated_catalog_file``: 2 ms instead of 60) — or a new, empty database on the
    private cluster."""
    if request.param == "sqlite":
        path = tmp_path / "catalog.sqlite3"
        shutil.copyfile(request.getfixturevalue("migrated_catalog_file"), path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("postgres_server")
    name = f"catalog_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def any_database(database_url) -> Iterator[Database]:
    """The database with every concern's schema, for one concern's repository."""
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.close()


@pytest.fixture
def any_catalog(database_url) -> Iterator[SqlCatalog]:
    """Every concern's repository on one database, as the edges hold them."""
    catalog = SqlCatalog(database_url)
    catalog.create_schema()
    yield catalog
    catalog.close()
