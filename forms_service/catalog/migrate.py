"""Schema migrations of the catalog (Alembic), run by the service at start-up.

New deployments and upgrades take the same path: ``upgrade(engine)`` brings any catalog — empty
or older — to the current schema.  Create a migration after changing ``models.py``:

    .venv/bin/python -m forms_service.catalog.migrate revision "what changed"
"""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).with_name("migrations")


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(_config(connection), "head")


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
