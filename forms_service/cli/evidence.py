"""Evidence exports: a signed ZIP of records, their validation reports and a manifest; and its check."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..access import LOCAL_OPERATOR
from ..errors import InputError
from .base import load_settings, started


@click.group("export")
def export_group() -> None:
    """Evidence exports: a signed ZIP of records, their validation reports and a manifest."""


@export_group.command("create")
@click.argument("record_ids", nargs=-1)
@click.option("--agency", help="every record of this agency (its 機關代碼)")
@click.option("--form", "form_id", help="only records of this form")
@click.option("--from", "date_from", help="created on or after this date (2026-01-31 or 115/1/31)")
@click.option("--to", "date_to", help="created on or before this date")
@click.option("--latest-only", is_flag=True, help="only each record's newest version")
@click.option("--purpose", default="", help="why the evidence is exported (recorded in the manifest and the audit log)")
@click.option("--case-no", default="", help="the case number it is for")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True, help="the ZIP to write")
def export_create(record_ids: tuple[str, ...], agency: str | None, form_id: str | None, date_from: str | None,
                  date_to: str | None, latest_only: bool, purpose: str, case_no: str, output: Path) -> None:
    """Export RECORD_IDS (or the records matching --agency/--form/--from/--to) as a signed evidence ZIP."""
    from ..archive.evidence import MAX_RECORDS, records_by_id
    from ..catalog import Record, RecordFilter
    from ..taiwan import InvalidValue, taipei_day_range

    if not record_ids and not (agency or form_id or date_from or date_to):
        raise InputError("name the records (RECORD_IDS) or choose them with --agency/--form/--from/--to")
    try:
        start, end = taipei_day_range(date_from, date_to, names=("--from", "--to"))
    except InvalidValue as err:
        raise InputError(str(err), details={"field": err.field}) from None
    with started() as components:
        catalog = components.require_archive()[1]

        def visible(record_id: str) -> Record:
            found = catalog.get_record(record_id)
            if found is None:
                raise InputError(f"no record {record_id}", details={"field": "RECORD_IDS"})
            return found

        if record_ids:
            chosen = records_by_id(record_ids, visible)
        else:
            chosen = catalog.find_records(RecordFilter(agency=agency, form_id=form_id, created_from=start,
                                                       created_until=end, limit=MAX_RECORDS + 1))
        purpose_detail = {k: v for k, v in (("purpose", purpose), ("case_no", case_no)) if v}
        with click.progressbar(length=len(chosen), label="reading and verifying", file=sys.stderr) as bar:
            export = components.exporter.export(chosen, LOCAL_OPERATOR, latest_only=latest_only,
                                                purpose=purpose_detail, progress=lambda _record: bar.update(1))
    output.write_bytes(export.data)
    click.echo(f"{output}: {export.records} record(s), {export.files} files, manifest sha256 {export.manifest_sha256}")


@export_group.command("verify")
@click.argument("zip_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="a root certificate (PEM/DER) to trust besides FORMS_TRUST_ROOTS")
@click.option("--signer-fingerprint", "fingerprints", multiple=True, metavar="SHA256",
              help="the SHA-256 fingerprint of the service's signing certificate (repeatable); "
                   "default: this service's own, from its settings")
def export_verify(zip_file: Path, trust_roots: tuple[str, ...], fingerprints: tuple[str, ...]) -> None:
    """Check an evidence ZIP: the manifest signed by the service's own certificate, every file's
    hash, nothing added; exit 0 only if all hold."""
    from signing.validation import load_trust_roots

    from ..archive.evidence_check import check_export
    from ..components import service_signer_fingerprint, verification_roots

    settings = load_settings()
    roots = verification_roots(settings) + load_trust_roots(trust_roots)
    pinned = fingerprints or (service_signer_fingerprint(settings),)
    result = check_export(zip_file.read_bytes(), roots, signers=pinned)
    signature = result.signature
    click.echo(f"manifest signed by: {signature['signer'] or 'unknown'}"
               + (f", timestamp {signature['timestamp']}" if signature.get("timestamp") else ""))
    if signature.get("signer_sha256"):
        click.echo(f"signer's certificate sha256: {signature['signer_sha256']}")
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    click.echo(f"{zip_file}: " + (f"VALID — signature trusted, {result.files} files match the manifest" if result.ok
                                 else f"NOT VALID ({len(result.problems)} problem(s))"))
    sys.exit(0 if result.ok else 1)
