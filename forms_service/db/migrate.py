"""Schema migrations (Alembic), run by the service at start-up.

Each concern keeps its migrations beside its rows, as Django apps do: the catalog's chain
(``catalog/migrations/versions``, 0001…, which created every table that existed before the concerns
kept their own rows) and a branch per concern (``signers/migrations``, ``filing/migrations``, …), each
starting from the catalog revision it needs.  The environment (``db/migrations/env.py``) loads every
concern's rows into the one metadata.

New deployments and upgrades take the same path: ``upgrade(engine)`` brings any database — empty
or older — to every branch's head.  Several instances may start at once on one PostgreSQL database:
the migration runs under a transaction-level advisory lock, so one migrates while the others wait
(at most ``LOCK_WAIT_SECONDS``, then a sentence) and then find the schema current.  A release can
also migrate first, alone: ``forms-service db upgrade``.  Create a migration after changing a
concern's rows, in that concern's branch (``access``, ``querylog``, …; the first one starts the
branch in ``<concern>/migrations``); without a branch it continues the catalog's chain:

    .venv/bin/python -m forms_service.db.migrate revision "what changed" [BRANCH]
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from ..errors import ServiceUnavailable

MIGRATIONS = Path(__file__).with_name("migrations")
PACKAGE = Path(__file__).resolve().parent.parent
CATALOG_CHAIN = PACKAGE / "catalog" / "migrations" / "versions"


def version_locations() -> list[Path]:
    """Each concern's migrations, the catalog's chain first (found by path: the database layer imports
    no concern)."""
    return [CATALOG_CHAIN] + sorted(folder for folder in PACKAGE.glob("*/migrations")
                                    if folder.parent.name not in ("catalog", "db") and _migrations_in(folder))


def _migrations_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.py") if not p.name.startswith("_"))


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("version_locations", " ".join(str(p) for p in version_locations()))
    config.set_main_option("path_separator", "space")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


# Any constant the service alone uses: the key of the advisory lock its migrations take.
MIGRATION_LOCK_KEY = 0x466F726D73  # "Forms"
LOCK_WAIT_SECONDS = 120


class MigrationLockTimeout(ServiceUnavailable):
    """Another instance held the migration lock longer than we wait."""

    code = "migration_lock_timeout"


def upgrade(engine: Engine) -> None:
    if _is_current(engine):  # every start-up asks; reading the database's revisions is 1 ms, Alembic's upgrade 45
        return
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
        command.upgrade(_config(connection), "heads")


@functools.cache
def _script_heads() -> frozenset[str]:
    """The newest revision of each branch (the migration files do not change while the code runs)."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory.from_config(_config()).get_heads())


def _is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return frozenset(MigrationContext.configure(connection).get_current_heads()) == _script_heads()


def head() -> str:
    """The newest migration of every branch this code knows, as one text ("0020 filing_0001 signers_0001")."""
    from alembic.script import ScriptDirectory

    return " ".join(sorted(ScriptDirectory.from_config(_config()).get_heads()))


def current(engine: Engine) -> str | None:
    """The database's revision of every branch, as ``head`` writes them (a branch's revision that
    another branch's depends on counts as reached with it); None for an empty database."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    if not heads:
        return None
    script = ScriptDirectory.from_config(_config())
    reached = {r.revision for r in script.iterate_revisions(heads, "base") if r is not None}
    return " ".join(sorted(h for h in script.get_heads() if h in reached) + sorted(
        h for h in heads if h not in script.get_heads()))


def _revision(message: str, branch: str | None) -> Path:
    """Autogenerate the next migration: in ``branch`` (started in ``<branch>/migrations`` when it is
    new, depending on the catalog chain's head) or, without one, on the catalog's chain."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_config())
    chain_head = max(h for h in script.get_heads() if h.isdigit())
    folder = CATALOG_CHAIN if branch is None else PACKAGE / branch / "migrations"
    known = _migrations_in(folder) if folder.is_dir() else []
    number = f"{len(known) + 1:04d}" if branch is None else f"{branch}_{len(known) + 1:04d}"
    options: dict[str, object] = {"rev_id": number}
    if branch is None:
        options["head"] = chain_head
    elif known:
        options["head"] = f"{branch}@head"
    else:  # a concern's first migration: its branch begins here
        if not (PACKAGE / branch).is_dir():
            raise SystemExit(f"no concern {branch!r} in {PACKAGE}")
        folder.mkdir(exist_ok=True)
        (folder / "__init__.py").touch()
        options.update(head="base", branch_label=branch, version_path=str(folder), depends_on=chain_head)
    engine = create_engine("sqlite://")
    with engine.begin() as connection:
        config = _config(connection)
        command.upgrade(config, "heads")
        if folder not in version_locations():  # the new branch's folder, still empty
            locations = [*version_locations(), folder]
            config.set_main_option("version_locations", " ".join(str(p) for p in locations))
        command.revision(config, message=message, autogenerate=True, **options)  # type: ignore[arg-type]
    return next(iter(folder.glob(f"{number}_*.py")))


if __name__ == "__main__":
    if len(sys.argv) in (3, 4) and sys.argv[1] == "revision":
        print(_revision(sys.argv[2], sys.argv[3] if len(sys.argv) == 4 else None))
    else:
        sys.exit("usage: python -m forms_service.db.migrate revision MESSAGE [BRANCH]")
