"""The audit log: check its hash chain (and the sealed days), seal finished days."""

from __future__ import annotations

import sys

import click

from .base import catalog_only, day_option, started


@click.group()
def audit() -> None:
    """The audit log of every creation, retrieval, refusal and change."""


@audit.command("verify")
@click.option("--sealed", is_flag=True,
              help="also read every sealed day back from the object store and compare the database with it")
def audit_verify(sealed: bool) -> None:
    """Check the audit log's hash chain; exit 1 naming the first entry edited, deleted or reordered.

    With --sealed, also check each sealed day's signature and chain in the store, and name entries
    changed in the database after their day was sealed (even with the chain recomputed).
    """
    with catalog_only() as catalog:
        checked, problem = catalog.verify_audit_chain()
    if problem:
        click.echo(f"audit log BROKEN after {checked} good entries: {problem}")
    else:
        click.echo(f"audit log intact: {checked} entries, hash chain unbroken")
    seal_problems: list[str] = []
    if sealed:
        with started() as components:
            result = components.sealer.verify()
        seal_problems = result.problems
        for line in seal_problems:
            click.echo(f"sealed log: {line}")
        click.echo(f"sealed days: {result.days}, {result.entries} entries; "
                   + ("all match the database" if result.ok else f"{len(seal_problems)} problem(s)"))
    sys.exit(1 if problem or seal_problems else 0)


@audit.command("seal")
@click.option("--through", "through_text", help="seal up to this day (default: yesterday, Taipei time)")
def audit_seal(through_text: str | None) -> None:
    """Seal every finished day of the audit log not sealed yet: a signed segment in the object store,
    under retention (`serve` does this hourly by itself)."""
    through = day_option(through_text, "--through")
    with started() as components:
        seals = components.sealer.seal_pending(through=through)
    for seal in seals:
        click.echo(f"sealed {seal.day}: {seal.count} entries → {seal.object_key} "
                   f"(kept until {seal.retain_until:%Y-%m-%d})")
    click.echo(f"{len(seals)} day(s) sealed" if seals else "nothing to seal: every finished day is sealed")
