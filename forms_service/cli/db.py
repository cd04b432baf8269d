"""``forms-service db``: the catalog's schema, for a release step that migrates before the instances
start (they also migrate at start-up, one at a time, so this is optional)."""

from __future__ import annotations

import click

from .base import load_settings


@click.group("db")
def db_group() -> None:
    """The catalog database's schema (FORMS_DATABASE_URL; SQLite in the data directory by default)."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Bring the catalog to this release's schema (waits while another instance migrates)."""
    from ..components import open_catalog
    from ..db.migrate import current, head

    settings = load_settings()
    catalog = open_catalog(settings)
    try:
        found = current(catalog.engine)
    finally:
        catalog.close()
    click.echo(f"catalog schema: {found} (this release: {head()})")


@db_group.command("current")
def db_current() -> None:
    """Print the catalog's schema revision and this release's; exit 1 when they differ."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import SQLAlchemyError

    from ..catalog import CatalogUnavailable
    from ..db.migrate import current, head

    settings = load_settings()
    engine = create_engine(settings.catalog_url)
    try:
        found = current(engine)
    except SQLAlchemyError as err:
        raise CatalogUnavailable(f"cannot read the catalog's schema: {err.__class__.__name__}: "
                                 f"{str(err).splitlines()[0]}") from None
    finally:
        engine.dispose()
    click.echo(f"catalog schema: {found or 'none'} (this release: {head()})")
    raise SystemExit(0 if found == head() else 1)
