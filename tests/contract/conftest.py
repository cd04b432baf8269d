"""What the contract suites share: a fresh database on each backend — SQLite in a file, or a new
database on the private PostgreSQL cluster — with the service's schema."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from forms_service.catalog import SqlCatalog


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def any_catalog(request, tmp_path):
    """A fresh catalog on each backend: SQLite in a file, or a new database on the private cluster."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"catalog_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.rsplit("/", 1)[0] + f"/{name}"
    catalog = SqlCatalog(url)
    catalog.create_schema()
    yield catalog
    catalog.close()
