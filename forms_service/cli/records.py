"""Commands on stored records: verify a file, countersign, legal holds and retention, renewal of
archive timestamps, disposition."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..access import LOCAL_OPERATOR, Actor, Role
from ..errors import InputError
from .base import catalog_only, day_option, load_settings, started


@click.command()
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def verify(pdf_file: Path, as_json: bool) -> None:
    """Verify every signature of PDF_FILE; exit 0 only if all are intact, valid and trusted.

    If the archive knows the file (or knows it as an earlier revision of a stored version), it also
    checks that nothing was cut off and that the signature count is the one recorded.
    """
    from ..archive import Verifier
    from ..archive.report_text import verification_text
    from ..components import verification_roots

    settings = load_settings()
    verifier = Verifier(trust_roots=verification_roots(settings), revocation_mode=settings.revocation_mode)
    if not settings.database_url and not settings.embedded_catalog.exists():
        # No archive here: the signatures alone (a verify creates no catalog where there was none).
        verification, problems = verifier.verify_file(pdf_file.read_bytes(), None)
    else:
        with catalog_only(settings) as catalog:
            verification, problems = verifier.verify_file(pdf_file.read_bytes(), catalog)
    report = {**verification.as_dict(), "record_id": None, "version": None}
    report["problems"] += problems
    report["ok"] = verification.ok and not problems
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else verification_text(report), nl=False)
    sys.exit(0 if report["ok"] else 1)


@click.command("countersign")
@click.argument("record_id")
def countersign_command(record_id: str) -> None:
    """Add the data provider's signature to an agency-signed 附件2, as a new version."""
    from ..archive.signatures import countersign

    with started() as components:
        stored = countersign(components.archive, components.countersigner, record_id, LOCAL_OPERATOR,
                             provider_name=components.settings.provider_name)
    click.echo(f"{record_id}: countersigned as version {stored.number}, sha256 {stored.sha256}")


@click.group()
def records() -> None:
    """Legal holds and retention of stored records (administrators)."""


@records.command("hold")
@click.argument("record_id")
@click.option("--reason", required=True, help="why: case number, court order, audit …")
def records_hold(record_id: str, reason: str) -> None:
    """Place a legal hold on every version of RECORD_ID: nothing can delete them until it is lifted."""
    _change_hold(record_id, reason, hold=True)


@records.command("release")
@click.argument("record_id")
@click.option("--reason", required=True, help="why the hold ends")
def records_release(record_id: str, reason: str) -> None:
    """Lift the legal hold of RECORD_ID (retention still applies)."""
    _change_hold(record_id, reason, hold=False)


def _change_hold(record_id: str, reason: str, *, hold: bool) -> None:
    from ..archive.holds import set_legal_hold

    with started() as components:
        store, catalog = components.require_archive()
        record = set_legal_hold(store, catalog, record_id, LOCAL_OPERATOR, hold=hold, reason=reason)
    click.echo(f"{record.id}: legal hold {'placed' if hold else 'lifted'} on {len(record.versions)} version(s)")


@records.command("retain")
@click.argument("record_id")
@click.option("--until", "until_text", required=True, help="new retain-until date (2032-12-31 or 121/12/31)")
@click.option("--reason", required=True)
def records_retain(record_id: str, until_text: str, reason: str) -> None:
    """Keep RECORD_ID longer (retention is extended, never shortened)."""
    from ..archive.holds import extend_retention

    until = day_option(until_text, "--until")
    with started() as components:
        store, catalog = components.require_archive()
        record = extend_retention(store, catalog, record_id, LOCAL_OPERATOR, until=until, reason=reason,
                                  default_mode=components.settings.lock_mode)
    click.echo(f"{record.id}: every version kept until {until.isoformat()}")


@click.group()
def signatures() -> None:
    """Long-term care of stored signatures."""


@signatures.command("renew")
@click.option("--within", "within_days", type=click.IntRange(0, 36500), required=True,
              help="renew records whose newest timestamp certificate expires within this many days")
def signatures_renew(within_days: int) -> None:
    """Add a fresh document timestamp (and validation data) to records that need one, as new versions."""
    from ..archive.signatures import renew, timestamps_expiring

    with started() as components:
        archive, catalog = components.archive, components.require_archive()[1]
        due = list(timestamps_expiring(archive, catalog, within_days=within_days, now=components.clock.now(),
                                       actor=LOCAL_OPERATOR))
        if not due:
            click.echo(f"no record has a timestamp expiring within {within_days} days")
            return
        with click.progressbar(due, label="renewing archive timestamps", file=sys.stderr) as bar:
            for record, version, expiry in bar:
                stored = renew(archive, components.document_signer, record, version, LOCAL_OPERATOR)
                click.echo(f"{record.id}: timestamp expiring {expiry:%Y-%m-%d} renewed as version {stored.number}")


@click.group()
def disposition() -> None:
    """Records past retention: list them, request their destruction, approve it (two people)."""


@disposition.command("list")
def disposition_list() -> None:
    """Records whose every version is past retention and not on legal hold."""
    from datetime import datetime, timezone

    with catalog_only() as catalog:
        due = catalog.records_past_retention(datetime.now(timezone.utc))
    for record in due:
        until = max(v.retain_until for v in record.versions if v.retain_until)
        click.echo(f"{record.id}  {record.form_id:24s} {record.agency_name}  kept until {until:%Y-%m-%d}")
    click.echo(f"{len(due)} record(s) may be disposed of")


@disposition.command("request")
@click.argument("record_id")
@click.option("--by", "requester", required=True, help="who asks (recorded in the tombstone and the certificate)")
@click.option("--reason", required=True)
def disposition_request(record_id: str, requester: str, reason: str) -> None:
    """Ask for RECORD_ID to be destroyed; another person must approve."""
    if not requester.strip():
        raise InputError("--by: say who asks", details={"field": "--by"})
    with started() as components:
        components.disposition.request(record_id, Actor(id=f"cli:{requester}", agency="", role=Role.ADMIN),
                                       reason=reason)
    click.echo(f"{record_id}: disposition requested by {requester}; awaiting another person's approval")


@disposition.command("approve")
@click.argument("record_id")
@click.option("--by", "approver", required=True, help="who approves (must not be the requester)")
def disposition_approve(record_id: str, approver: str) -> None:
    """Delete RECORD_ID's versions and archive a signed certificate of destruction."""
    if not approver.strip():
        raise InputError("--by: say who approves", details={"field": "--by"})
    with started(converter=True, workers=1) as components:
        tombstone = components.disposition.approve(record_id, Actor(id=f"cli:{approver}", agency="", role=Role.ADMIN))
    click.echo(f"{record_id}: disposed of; certificate {tombstone.certificate_key} "
               f"(version {tombstone.certificate_version})")
