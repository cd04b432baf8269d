"""``forms-service jobs``: the background jobs — run them here, or look at the queue."""

from __future__ import annotations

import click

from .base import load_settings


@click.group("jobs")
def jobs_group() -> None:
    """Background jobs (batches, the hourly audit seal, month closing, digests) on the queue of
    FORMS_JOBS_URL (Redis) or of the data directory (SQLite).  ``serve`` runs them in one of its
    web processes unless FORMS_JOBS_WORKERS is 0."""


@jobs_group.command("run")
def jobs_run() -> None:
    """Run jobs in the foreground with FORMS_JOBS_WORKERS threads, until Ctrl-C (running jobs
    finish first) — for machines that run jobs but serve no web requests."""
    from ..jobs.process import run_consumer

    run_consumer(load_settings())


@jobs_group.command("status")
def jobs_status() -> None:
    """How many jobs wait, and the batches not finished yet."""
    from ..components import open_catalog
    from ..jobs.batches import progress
    from ..jobs.engine import make_huey

    settings = load_settings()
    click.echo(f"queue: {'Redis' if settings.jobs_url else 'SQLite in the data directory'}, "
               f"{make_huey(settings).pending_count()} jobs waiting")
    catalog = open_catalog(settings)
    try:
        for batch in catalog.unfinished_batches():
            found = progress(catalog, batch.id, agency=None, limit=0)  # counted, no entry read
            counts = ", ".join(f"{state} {n}" for state, n in found.counts.items() if n)
            click.echo(f"{batch.id}  {batch.form_id}  {found.state}  {found.ended}/{found.total}  ({counts})")
    finally:
        catalog.close()
