"""The ``forms-service`` command line.

Exit status: 0 success; 2 bad input or usage (the message names the field); 1 anything else
(a component down, a bad setting).  Messages go to stderr; results to stdout or the -o file.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
import signal
import sys
import threading
from pathlib import Path

import click

from .errors import ConfigError, FormsError, InputError, ValidationFailed
from .forms import all_forms, get_form
from .settings import Settings

EXIT_INPUT = 2


def _settings() -> Settings:
    return Settings.load()


@contextmanager
def _catalog(settings: Settings | None = None):
    """The catalog alone (no store, no LibreOffice) for commands that only read or write rows."""
    from .components import open_catalog

    catalog = open_catalog(settings or _settings())
    try:
        yield catalog
    finally:
        catalog.close()


def _fail(err: FormsError) -> None:
    click.echo(f"error [{err.code}]: {err.message}", err=True)
    if isinstance(err, ValidationFailed):
        for p in err.problems[1:]:
            click.echo(f"  {p.path}: {p.message}", err=True)
    sys.exit(EXIT_INPUT if isinstance(err, InputError) else 1)


class _Group(click.Group):
    """Turns our errors into a sentence and an exit status instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except FormsError as err:
            _fail(err)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forms-service")
def main() -> None:
    """Fill, convert to PDF/A, sign and archive the forms of 使用商工資料資通安全管理規範.

    Settings come from FORMS_* environment variables (see `forms-service settings`).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pyHanko logs every untrusted or unverifiable path with a traceback; our reports say it better.
    for noisy in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


@main.command()
@click.option("--host", help="address to listen on (default FORMS_HOST or 127.0.0.1)")
@click.option("--port", type=int, help="port to listen on (default FORMS_PORT or 8080)")
def serve(host: str | None, port: int | None) -> None:
    """Run the HTTP(S) service (starts the embedded store and LibreOffice workers as needed).

    HTTPS when FORMS_TLS_CERTIFICATE and FORMS_TLS_KEY are set.  In production run it under
    gunicorn instead: gunicorn -c python:forms_service.web.gunicorn_conf
    """
    from werkzeug.serving import make_server

    from .audit_seal import DailySealer
    from .components import start_components
    from .tokens import create_token
    from .web import create_app

    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = Settings.load(**overrides)
    click.echo("starting: LibreOffice workers, signer" + (", embedded object store" if settings.embedded_store else ""), err=True)
    # Until the server runs, TERM must unwind like Ctrl-C so half-started components are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    components = start_components(settings)
    sealer = DailySealer(components).start()
    try:
        app = create_app(settings, components=components)
        server = make_server(settings.host, settings.port, app, threaded=True, ssl_context=_tls_context(settings))
        url = f"{'https' if settings.tls_certificate else 'http'}://{settings.host}:{server.server_port}"
        click.echo(f"Forms Service listening on {url}")
        if settings.embedded_store and settings.demo_signer:
            components.catalog.revoke_tokens(label="demo")
            token = create_token(components.catalog, agency="DEMO", role="admin", label="demo")
            click.echo(f"demo token (admin, valid until the next start): {token}")
            click.echo(f"  try: curl -H 'Authorization: Bearer {token}' {url}/api/v1/forms")
        click.echo(f"pages for records clerks: {url}/records "
                   "(create a user first: forms-service users create --username NAME --agency CODE --role clerk)")

        def stop(signum, _frame):
            # shutdown() waits for serve_forever to return, so it must run in another thread;
            # a second signal (Ctrl-C twice, or a supervisor's TERM after ours) is harmless.
            click.echo(f"stopping ({signal.Signals(signum).name})", err=True)
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        server.serve_forever()
        server.server_close()
    finally:
        sealer.stop()
        components.close()


def _tls_context(settings: Settings):
    """HTTPS (TLS 1.2 or newer) when FORMS_TLS_CERTIFICATE / FORMS_TLS_KEY are set; None otherwise."""
    import ssl

    if not settings.tls_certificate:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_certificate, settings.tls_key)
    except (ssl.SSLError, OSError) as err:
        raise ConfigError(f"FORMS_TLS_CERTIFICATE / FORMS_TLS_KEY: cannot load them ({err})") from err
    return context


@main.command()
@click.argument("form_id")
@click.argument("input_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="where to write the signed PDF/A")
def render(form_id: str, input_file: Path, output: Path) -> None:
    """Fill FORM_ID from INPUT_FILE (JSON) into a signed PDF/A, without a server.

    INPUT_FILE may be - for standard input.  Invalid input exits with status 2 and names the field.
    """
    from .components import open_templates, start_components
    from .pipeline import validate_input

    settings = _settings()
    spec, form = validate_input(form_id, _read_json(input_file), open_templates(settings))  # before LibreOffice starts
    with start_components(settings, with_archive=False, workers=1) as components:
        produced = components.producer.produce_validated(spec, form)
    tmp = output.with_name(output.name + ".part")
    tmp.write_bytes(produced.pdf)
    tmp.replace(output)  # never leave a half-written PDF under the requested name
    click.echo(f"{output}: {spec.annex} {spec.title}, {produced.pages} page(s), signed, sha256 {produced.sha256}")


@main.command()
@click.argument("pdf_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
def verify(pdf_file: Path, as_json: bool) -> None:
    """Verify every signature of PDF_FILE; exit 0 only if all are intact, valid and trusted.

    If the archive knows the file (or knows it as an earlier revision of a stored version), it also
    checks that nothing was cut off and that the signature count is the one recorded.
    """
    from .components import verification_roots
    from .records import verify_file
    from .report_text import verification_text

    settings = _settings()
    with _catalog(settings) as catalog:
        verification, problems = verify_file(pdf_file.read_bytes(), verification_roots(settings), catalog,
                                             revocation_mode=settings.revocation_mode)
    report = {**verification.as_dict(), "record_id": None, "version": None}
    report["problems"] += problems
    report["ok"] = verification.ok and not problems
    click.echo(json.dumps(report, ensure_ascii=False, indent=2) if as_json else verification_text(report), nl=False)
    sys.exit(0 if report["ok"] else 1)


@main.command("countersign")
@click.argument("record_id")
def countersign_command(record_id: str) -> None:
    """Add the data provider's signature to an agency-signed 附件2, as a new version."""
    from .components import start_components
    from .records import countersign
    from .tokens import LOCAL_OPERATOR

    with start_components(_settings(), with_converter=False) as components:
        stored = countersign(components, record_id, LOCAL_OPERATOR)
    click.echo(f"{record_id}: countersigned as version {stored.number}, sha256 {stored.sha256}")


@main.group()
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
    from .components import start_components
    from .records import set_legal_hold
    from .tokens import LOCAL_OPERATOR

    with start_components(_settings(), with_converter=False) as components:
        record = set_legal_hold(components, record_id, LOCAL_OPERATOR, hold=hold, reason=reason)
    click.echo(f"{record.id}: legal hold {'placed' if hold else 'lifted'} on {len(record.versions)} version(s)")


@records.command("retain")
@click.argument("record_id")
@click.option("--until", "until_text", required=True, help="new retain-until date (2032-12-31 or 121/12/31)")
@click.option("--reason", required=True)
def records_retain(record_id: str, until_text: str, reason: str) -> None:
    """Keep RECORD_ID longer (retention is extended, never shortened)."""
    from .components import start_components
    from .records import extend_retention
    from .taiwan import InvalidValue, parse_date
    from .tokens import LOCAL_OPERATOR

    try:
        until = parse_date(until_text)
    except InvalidValue as err:
        raise InputError(f"--until: {err}") from None
    with start_components(_settings(), with_converter=False) as components:
        record = extend_retention(components, record_id, LOCAL_OPERATOR, until=until, reason=reason)
    click.echo(f"{record.id}: every version kept until {until.isoformat()}")


@main.group()
def disposition() -> None:
    """Records past retention: list them, request their destruction, approve it (two people)."""


@disposition.command("list")
def disposition_list() -> None:
    """Records whose every version is past retention and not on legal hold."""
    from datetime import datetime, timezone

    with _catalog() as catalog:
        due = catalog.records_past_retention(datetime.now(timezone.utc))
    for record in due:
        until = max(v.retain_until for v in record.versions)
        click.echo(f"{record.id}  {record.form_id:24s} {record.agency_name}  kept until {until:%Y-%m-%d}")
    click.echo(f"{len(due)} record(s) may be disposed of")


@disposition.command("request")
@click.argument("record_id")
@click.option("--by", "requester", required=True, help="who asks (recorded in the tombstone and the certificate)")
@click.option("--reason", required=True)
def disposition_request(record_id: str, requester: str, reason: str) -> None:
    """Ask for RECORD_ID to be destroyed; another person must approve."""
    from .components import start_components
    from .disposition import request
    from .tokens import Actor

    with start_components(_settings(), with_converter=False) as components:
        request(components, record_id, Actor(id=f"cli:{requester}", agency="", role="admin"), reason=reason)
    click.echo(f"{record_id}: disposition requested by {requester}; awaiting another person's approval")


@disposition.command("approve")
@click.argument("record_id")
@click.option("--by", "approver", required=True, help="who approves (must not be the requester)")
def disposition_approve(record_id: str, approver: str) -> None:
    """Delete RECORD_ID's versions and archive a signed certificate of destruction."""
    from .components import start_components
    from .disposition import approve
    from .tokens import Actor

    with start_components(_settings(), workers=1) as components:
        tombstone = approve(components, record_id, Actor(id=f"cli:{approver}", agency="", role="admin"))
    click.echo(f"{record_id}: disposed of; certificate {tombstone.certificate_key} (version {tombstone.certificate_version})")


@main.group()
def signatures() -> None:
    """Long-term care of stored signatures."""


@signatures.command("renew")
@click.option("--within", "within_days", type=click.IntRange(0, 36500), required=True,
              help="renew records whose newest timestamp certificate expires within this many days")
def signatures_renew(within_days: int) -> None:
    """Add a fresh document timestamp (and validation data) to records that need one, as new versions."""
    from .components import start_components
    from .records import renew, timestamps_expiring
    from .tokens import LOCAL_OPERATOR

    with start_components(_settings(), with_converter=False) as components:
        due = list(timestamps_expiring(components, within_days))
        if not due:
            click.echo(f"no record has a timestamp expiring within {within_days} days")
            return
        with click.progressbar(due, label="renewing archive timestamps", file=sys.stderr) as bar:
            for record, version, expiry in bar:
                stored = renew(components, record, version, LOCAL_OPERATOR)
                click.echo(f"{record.id}: timestamp expiring {expiry:%Y-%m-%d} renewed as version {stored.number}")


@main.group()
def forms() -> None:
    """The forms this service knows."""


@forms.command("list")
def forms_list() -> None:
    """List the form ids with their 附件 and title."""
    for spec in all_forms():
        click.echo(f"{spec.form_id:24} {spec.annex}  {spec.title}")


@forms.command("schema")
@click.argument("form_id")
def forms_schema(form_id: str) -> None:
    """Print FORM_ID's JSON Schema (generated from its model)."""
    click.echo(json.dumps(get_form(form_id).json_schema(), ensure_ascii=False, indent=2))


@main.group()
def users() -> None:
    """People who sign in to the web pages."""


@users.command("create")
@click.option("--username", required=True)
@click.option("--agency", required=True, help="the agency's name or 機關代碼 the person works for")
@click.option("--role", default="clerk", show_default=True,
              type=click.Choice(["staff", "clerk", "auditor", "provider", "admin"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="at least 12 characters (asked for when not given)")
def users_create(username: str, agency: str, role: str, password: str) -> None:
    """Create a user of the web pages (the password is stored as an scrypt hash)."""
    from .users import create_user

    with _catalog() as catalog:
        create_user(catalog, username=username, password=password, agency=agency, role=role)
    click.echo(f"user {username} ({role}, {agency}) created")


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--agency", required=True, help="the agency's name (機關全銜) or 機關代碼 the token acts for")
@click.option("--role", default="staff", show_default=True,
              type=click.Choice(["staff", "clerk", "auditor", "provider", "admin"]))
@click.option("--label", default="", help="a note to recognise the token by")
@click.option("--allow", multiple=True, metavar="CIDR",
              help="only from this network (repeatable); default: the role's FORMS_ROLE_NETWORKS, or anywhere")
def tokens_create(agency: str, role: str, label: str, allow: tuple[str, ...]) -> None:
    """Create a token and print it (it is stored hashed and cannot be shown again)."""
    from .tokens import create_token

    with _catalog() as catalog:
        click.echo(create_token(catalog, agency=agency, role=role, label=label, allow=allow))


@main.group()
def templates() -> None:
    """Form templates (.docx), packaged or supplied by an agency in FORMS_TEMPLATE_DIR."""


@templates.command("check")
@click.argument("docx", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--form", "form_id", required=True, help="the form id the template is for")
def templates_check(docx: Path, form_id: str) -> None:
    """Check DOCX as FORM_ID's template: unknown or split placeholders, required fields it never
    prints, fonts that resolve to no installed face.  Exit 1 if anything is found."""
    from .template_check import check_template

    problems = check_template(docx.read_bytes(), get_form(form_id), provider_name=_settings().provider_name)
    for problem in problems:
        click.echo(f"{docx.name}: {problem}")
    if problems:
        sys.exit(1)
    click.echo(f"{docx.name}: fit to be the {form_id} template")


@main.group()
def archive() -> None:
    """Integrity of the archive as a whole."""


@archive.command("verify")
@click.option("--repair", is_flag=True, help="first add to the catalog the versions the store has and it lacks")
def archive_verify(repair: bool) -> None:
    """Read back every catalogued version and list missing, altered and orphaned objects.

    Exit 0 only when the store holds exactly what the catalog records, intact.
    """
    from .archive_check import verify_archive
    from .components import start_components
    from .rebuild import repair as repair_catalog
    from .tokens import LOCAL_OPERATOR

    with start_components(_settings(), with_converter=False) as components:
        if repair:
            fixed = repair_catalog(components.catalog, components.store, LOCAL_OPERATOR)
            click.echo(f"repaired: {fixed.records} record(s) and {fixed.versions} version(s) added to the catalog")
            for skipped in fixed.skipped:
                click.echo(f"not repaired: {skipped}")
        total = len(components.catalog.all_versions())
        with click.progressbar(length=total, label="reading back every version", file=sys.stderr) as bar:
            report = verify_archive(components.catalog, components.store, progress=lambda: bar.update(1))
    for kind in ("missing", "mismatched", "orphaned"):
        for item in getattr(report, kind):
            click.echo(f"{kind}: {item}")
    click.echo(f"{report.checked} version(s) checked: "
               + ("all present and intact, no orphans" if report.ok else
                  f"{len(report.missing)} missing, {len(report.mismatched)} altered, {len(report.orphaned)} orphaned"))
    sys.exit(0 if report.ok else 1)


@main.group()
def catalog() -> None:
    """The catalog database (SQLite by default, PostgreSQL by FORMS_DATABASE_URL)."""


@catalog.command("rebuild")
def catalog_rebuild() -> None:
    """Recreate an empty catalog from the store's versions and their catalog entries (disaster recovery)."""
    from .components import start_components
    from .rebuild import rebuild
    from .tokens import LOCAL_OPERATOR

    with start_components(_settings(), with_converter=False) as components:
        with click.progressbar(length=0, label="reading the store", file=sys.stderr) as bar:
            report = rebuild(components.catalog, components.store, LOCAL_OPERATOR, progress=lambda: bar.update(1))
    click.echo(f"catalog rebuilt: {report.records} record(s), {report.versions} version(s)")
    for skipped in report.skipped:
        click.echo(f"skipped: {skipped}")
    sys.exit(1 if report.skipped else 0)


@main.group()
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
    with _catalog() as catalog:
        checked, problem = catalog.verify_audit_chain()
    if problem:
        click.echo(f"audit log BROKEN after {checked} good entries: {problem}")
    else:
        click.echo(f"audit log intact: {checked} entries, hash chain unbroken")
    seal_problems: list[str] = []
    if sealed:
        from .audit_seal import verify_seals
        from .components import start_components

        with start_components(_settings(), with_converter=False) as components:
            result = verify_seals(components)
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
    from .audit_seal import seal_pending
    from .components import start_components
    from .taiwan import InvalidValue, parse_date

    try:
        through = parse_date(through_text) if through_text else None
    except InvalidValue as err:
        raise InputError(f"--through: {err}") from None
    with start_components(_settings(), with_converter=False) as components:
        seals = seal_pending(components, through=through)
    for seal in seals:
        click.echo(f"sealed {seal.day}: {seal.count} entries → {seal.object_key} (kept until {seal.retain_until:%Y-%m-%d})")
    click.echo(f"{len(seals)} day(s) sealed" if seals else "nothing to seal: every finished day is sealed")


@main.group("export")
def export_group() -> None:
    """Evidence exports: a signed ZIP of records, their validation reports and a manifest."""


@export_group.command("create")
@click.argument("record_ids", nargs=-1)
@click.option("--agency", help="every record of this agency (name or 機關代碼)")
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
    from .catalog import RecordFilter
    from .components import start_components
    from .errors import NotFound
    from .evidence import MAX_RECORDS, build_export, records_by_id
    from .taiwan import InvalidValue, taipei_day_range
    from .tokens import LOCAL_OPERATOR

    if not record_ids and not (agency or form_id or date_from or date_to):
        raise InputError("name the records (RECORD_IDS) or choose them with --agency/--form/--from/--to")
    with start_components(_settings(), with_converter=False) as components:
        catalog = components.catalog

        def visible(record_id: str):
            found = catalog.get_record(record_id)
            if found is None:
                raise InputError(f"no record {record_id}", details={"field": "RECORD_IDS"})
            return found

        if record_ids:
            records = records_by_id(record_ids, visible)
        else:
            try:
                start, end = taipei_day_range(date_from, date_to, names=("--from", "--to"))
            except InvalidValue as err:
                raise InputError(str(err)) from None
            records = catalog.find_records(RecordFilter(agency=agency, form_id=form_id, created_from=start,
                                                        created_until=end, limit=MAX_RECORDS + 1))
        purpose_detail = {k: v for k, v in (("purpose", purpose), ("case_no", case_no)) if v}
        with click.progressbar(length=len(records), label="reading and verifying", file=sys.stderr) as bar:
            export = build_export(components, records, LOCAL_OPERATOR, latest_only=latest_only,
                                  purpose=purpose_detail, progress=lambda _record: bar.update(1))
    output.write_bytes(export.data)
    click.echo(f"{output}: {export.records} record(s), {export.files} files, manifest sha256 {export.manifest_sha256}")


@export_group.command("verify")
@click.argument("zip_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trust-root", "trust_roots", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="a root certificate (PEM/DER) to trust besides FORMS_TRUST_ROOTS")
def export_verify(zip_file: Path, trust_roots: tuple[str, ...]) -> None:
    """Check an evidence ZIP: the manifest's signature and every file's hash; exit 0 only if all hold."""
    from signing.validation import load_trust_roots

    from .components import verification_roots
    from .evidence import check_export

    roots = verification_roots(_settings()) + load_trust_roots(trust_roots)
    result = check_export(zip_file.read_bytes(), roots)
    signature = result.signature
    click.echo(f"manifest signed by: {signature['signer'] or 'unknown'}"
               + (f", timestamp {signature['timestamp']}" if signature.get("timestamp") else ""))
    for problem in result.problems:
        click.echo(f"problem: {problem}")
    click.echo(f"{zip_file}: " + (f"VALID — signature trusted, {result.files} files match the manifest" if result.ok
                                 else f"NOT VALID ({len(result.problems)} problem(s))"))
    sys.exit(0 if result.ok else 1)


@main.group()
def storage() -> None:
    """The object store holding every record version."""


@storage.command("info")
def storage_info() -> None:
    """Where the records are stored, and how an operator reaches them with standard S3 tools."""
    from storage.seaweed import EmbeddedSeaweedFS

    settings = _settings()
    click.echo(f"bucket:      {settings.s3_bucket} (versioned, Object Lock, {settings.lock_mode} retention)")
    if not settings.embedded_store:
        scheme = "https" if settings.s3_secure else "http"
        click.echo(f"endpoint:    {scheme}://{settings.s3_endpoint} (FORMS_S3_ENDPOINT)")
        return
    embedded = EmbeddedSeaweedFS(settings.data_dir / "seaweedfs", bucket=settings.s3_bucket)
    endpoint = embedded.running_endpoint()
    click.echo(f"store:       embedded SeaweedFS, data in {embedded.directory}")
    click.echo(f"endpoint:    {'http://' + endpoint if endpoint else 'not running (it runs while forms-service serve does)'}")
    click.echo(f"credentials: {embedded.directory / 'credentials.json'} (loopback only; keep it private)")
    if endpoint:
        creds = embedded.credentials
        click.echo("with the aws CLI (for operators, on this machine):")
        click.echo(f"  AWS_ACCESS_KEY_ID={creds.access_key} AWS_SECRET_ACCESS_KEY=$(jq -r .secret_key "
                   f"{embedded.directory / 'credentials.json'}) \\")
        click.echo(f"    aws --endpoint-url http://{endpoint} s3api list-object-versions --bucket {settings.s3_bucket}")


@main.command("settings")
def show_settings() -> None:
    """Show the effective settings (secrets masked) and the variable that sets each."""
    for env, value, help_text in _settings().describe():
        click.echo(f"{env:36} {value!s:28} {help_text}")


def _read_json(path: Path):
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from err



if __name__ == "__main__":
    main()
