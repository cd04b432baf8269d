"""The archive as a whole: read every version back, rebuild the catalog, where the store is."""

from __future__ import annotations

import sys

import click

from ..access import LOCAL_OPERATOR
from .base import load_settings, started


@click.group()
def archive() -> None:
    """Integrity of the archive as a whole."""


@archive.command("verify")
@click.option("--repair", is_flag=True, help="first add to the catalog the versions the store has and it lacks")
def archive_verify(repair: bool) -> None:
    """Read back every catalogued version and list missing, altered and orphaned objects.

    Exit 0 only when the store holds exactly what the catalog records, intact.
    """
    from ..archive.integrity import repair as repair_catalog
    from ..archive.integrity import verify_archive

    with started() as components:
        store, catalog = components.require_archive()
        if repair:
            fixed = repair_catalog(catalog, store, LOCAL_OPERATOR)
            click.echo(f"repaired: {fixed.records} record(s) and {fixed.versions} version(s) added to the catalog")
            for skipped in fixed.skipped:
                click.echo(f"not repaired: {skipped}")
        total = len(catalog.all_versions())
        with click.progressbar(length=total, label="reading back every version", file=sys.stderr) as bar:
            report = verify_archive(catalog, store, progress=lambda: bar.update(1))
    for kind in ("missing", "mismatched", "orphaned"):
        for item in getattr(report, kind):
            click.echo(f"{kind}: {item}")
    if report.set_aside:
        click.echo(f"{report.set_aside} object(s) left by interrupted filings, recorded as no record's")
    click.echo(f"{report.checked} version(s) checked: "
               + ("all present and intact, no orphans" if report.ok else
                  f"{len(report.missing)} missing, {len(report.mismatched)} altered, {len(report.orphaned)} orphaned"))
    sys.exit(0 if report.ok else 1)


@click.group("catalog")
def catalog_group() -> None:
    """The catalog database (SQLite by default, PostgreSQL by FORMS_DATABASE_URL)."""


@catalog_group.command("rebuild")
def catalog_rebuild() -> None:
    """Recreate an empty catalog from the store's versions and their catalog entries (disaster recovery)."""
    from ..archive.integrity import rebuild

    with started() as components:
        store, records = components.require_archive()
        with click.progressbar(length=0, label="reading the store", file=sys.stderr) as bar:
            report = rebuild(records, store, LOCAL_OPERATOR, progress=lambda: bar.update(1))
    click.echo(f"catalog rebuilt: {report.records} record(s), {report.versions} version(s)"
               + (f", {report.set_aside} object(s) set aside by interrupted filings" if report.set_aside else ""))
    for skipped in report.skipped:
        click.echo(f"skipped: {skipped}")
    sys.exit(1 if report.skipped else 0)


@click.group("storage")
def storage_group() -> None:
    """The object store holding every record version."""


@storage_group.command("info")
def storage_info() -> None:
    """Where the records are stored, and how an operator reaches them with standard S3 tools."""
    from storage.seaweed import EmbeddedSeaweedFS

    settings = load_settings()
    click.echo(f"bucket:      {settings.s3_bucket} (versioned, Object Lock, {settings.lock_mode} retention)")
    if not settings.embedded_store:
        scheme = "https" if settings.s3_secure else "http"
        click.echo(f"endpoint:    {scheme}://{settings.s3_endpoint} (FORMS_S3_ENDPOINT)")
        return
    embedded = EmbeddedSeaweedFS(settings.data_dir / "seaweedfs", bucket=settings.s3_bucket)
    endpoint = embedded.running_endpoint()
    click.echo(f"store:       embedded SeaweedFS, data in {embedded.directory}")
    shown = f"http://{endpoint}" if endpoint else "not running (it runs while forms-service serve does)"
    click.echo(f"endpoint:    {shown}")
    click.echo(f"credentials: {embedded.directory / 'credentials.json'} (loopback only; keep it private)")
    if endpoint:
        creds = embedded.credentials
        click.echo("with the aws CLI (for operators, on this machine):")
        click.echo(f"  AWS_ACCESS_KEY_ID={creds.access_key} AWS_SECRET_ACCESS_KEY=$(jq -r .secret_key "
                   f"{embedded.directory / 'credentials.json'}) \\")
        click.echo(f"    aws --endpoint-url http://{endpoint} s3api list-object-versions --bucket {settings.s3_bucket}")
