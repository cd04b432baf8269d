"""Schema migrations of the catalog (Alembic), run by the service at start-up.

New deployments and upgrades take the same path: ``upgrade(engine)`` brings any catalog — empty
or older — to the current schema.  Several instances may start at once on one PostgreSQL database:
the migration runs under a transaction-level advisory lock, so one migrates while the others wait
(at most ``LOCK_WAIT_SECONDS``, then a sentence) and then find the schema current.  A release can
also migrate first, alone: ``forms-service db upgrade``.  Create a migration after changing
``models.py``:

    .venv/bin/python -m forms_service.catalog.migrate revision "what changed"
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from ..errors import ServiceUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


# Any constant the service alone uses: the key of the advisory lock its migrations take.
MIGRATION_LOCK_KEY = 0x466F726D73  # "Forms"
LOCK_WAIT_SECONDS = 120


class MigrationLockTimeout(ServiceUnavailable):
    """Another instance held the migration lock longer than we wait."""

    code = "migration_lock_timeout"


def upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends; DDL in PostgreSQL is transactional, so the others
            # see either no schema or the whole of it.
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
            try:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            except OperationalError as err:
                raise MigrationLockTimeout(
                    f"another instance has been migrating the catalog for over {LOCK_WAIT_SECONDS} s; "
                    "start this one again once it is up (or run `forms-service db upgrade` alone first)"
                ) from err
        command.upgrade(_config(connection), "head")


def head() -> str:
    """The newest migration this code knows."""
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    found = ScriptDirectory.from_config(config).get_current_head()
    assert found is not None
    return found


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _revision(message: str) -> None:
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        config = _config(connection)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "revision":
        _revision(sys.argv[2])
    else:
        sys.exit("usage: python -m forms_service.catalog.migrate revision MESSAGE")
