"""Making documents without a server: ``render``; the forms and their templates."""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import FieldProblem, FormsError, InputError, ValidationFailed
from ..forms import all_forms, example_input, get_form
from .base import load_settings, read_json, started

if TYPE_CHECKING:
    from ..forms import FormSpec
    from ..forms.types import FormModel
    from ..settings import Settings


@click.command()
@click.argument("form_id", required=False)
@click.argument("input_file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="where to write the signed PDF/A (with --batch: the directory for them)")
@click.option("--batch", "batch_source", type=click.Path(exists=True, path_type=Path),
              help="many inputs: a directory of *.json files or a .jsonl file, one item each")
@click.option("--submit", "service_url", metavar="URL",
              help="with --batch: file the items as records on the service at URL (its background workers "
                   "produce and archive them) and download each PDF; the token is read from FORMS_API_TOKEN")
def render(form_id: str | None, input_file: Path | None, output: Path, batch_source: Path | None,
           service_url: str | None) -> None:
    """Fill FORM_ID from INPUT_FILE (JSON) into a signed PDF/A, without a server.

    INPUT_FILE may be - for standard input.  Invalid input exits with status 2 and names the field.

    \b
    With --batch SOURCE -o OUTDIR, every item of SOURCE becomes OUTDIR/NAME.pdf on the warm
    LibreOffice workers, with a progress bar and a summary.  An item is
      {"form": "annex2-agreement", "input": {...}, "name": "optional file name"}
    or a plain input of FORM_ID when FORM_ID is given.  A directory's items are named after their
    files, a .jsonl file's after their line numbers.  Bad items are refused with the field named
    and the others still produced.  Exit status 0 when every item was produced, 2 when any was
    refused, 1 when any failed.

    \b
    With --batch SOURCE --submit URL, the items are filed as records on the service at URL
    (POST /api/v1/batches, one batch per form) by the workers of all its instances, and each
    record's PDF is downloaded to OUTDIR/NAME.pdf as it is done.
    """
    if service_url is not None and batch_source is None:
        raise InputError("--submit goes with --batch SOURCE", details={"field": "--submit"})
    if batch_source is not None:
        if input_file is not None:
            raise InputError("give either INPUT_FILE or --batch SOURCE, not both")
        if service_url is not None:
            from .submit import submit_batch

            submit_batch(form_id, batch_source, output, service_url)
        else:
            render_batch(form_id, batch_source, output)
        return
    if form_id is None or input_file is None:
        raise InputError("render needs FORM_ID and INPUT_FILE (or --batch SOURCE): see --help")
    settings = load_settings()
    data = read_json(input_file)
    spec = get_form(form_id)
    form = spec.validate(data)  # a bad field exits here, before anything starts
    _check_related_locally(settings, spec, form)
    served = render_on_running_service(settings, form_id, data)
    if served is not None:  # a `serve` on this data directory did it on its warm workers
        pdf, pages, sha256 = served
        _write_whole(output, pdf)
        click.echo(f"{output}: {spec.annex} {spec.title}, {pages} page(s), signed, sha256 {sha256} "
                   "(by the running service)")
        return
    from ..convert.pool import LibreOfficePool

    # LibreOffice boots (~1 s) while the signing and archive code loads.
    pool = LibreOfficePool(workers=1, start_in_background=True, run_dir=settings.run_dir,
                           **settings.converter_options)
    try:
        from ..access import LOCAL_OPERATOR
        from ..components import open_templates
        from ..produce import validate_input

        spec, form = validate_input(form_id, data, open_templates(settings))  # characters the fonts lack
        with started(settings, archive=False, catalog=True, converter=True, pool=pool) as components:
            produced = components.filing.produce(LOCAL_OPERATOR, spec, form)  # signed with the agency's key
    finally:
        pool.close()
    _write_whole(output, produced.pdf)
    click.echo(f"{output}: {spec.annex} {spec.title}, {produced.pages} page(s), signed, sha256 {produced.sha256}")


def _check_related_locally(settings: Settings, spec: FormSpec, form: FormModel) -> None:
    """A form naming an earlier record is checked against it in this data directory's catalog."""
    if not getattr(form, "related_record", None):
        return
    from ..access import LOCAL_OPERATOR
    from ..archive.related import check_related
    from ..clock import SYSTEM_CLOCK
    from ..components import open_catalog
    from ..taiwan import TAIPEI

    catalog = open_catalog(settings)
    try:
        # the operator of this data directory
        check_related(catalog, spec, form, actor=LOCAL_OPERATOR, today=SYSTEM_CLOCK.now().astimezone(TAIPEI).date())
    finally:
        catalog.close()


def _write_whole(output: Path, pdf: bytes) -> None:
    tmp = output.with_name(output.name + ".part")
    tmp.write_bytes(pdf)
    tmp.replace(output)  # never leave a half-written PDF under the requested name


class _LocalConnection(http.client.HTTPConnection):
    """HTTP over the Unix socket a running ``serve`` listens on in the data directory (with TLS
    when the service speaks it; the socket's privacy, not a certificate, says who answers)."""

    def __init__(self, path: Path, *, tls: bool, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path, self.tls = path, tls

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(str(self.path))
        except OSError:
            sock.close()
            raise
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            sock = context.wrap_socket(sock, server_hostname="localhost")
        self.sock = sock


def render_on_running_service(settings: Any, form_id: str, data: Any) -> tuple[bytes, int, str] | None:
    """The signed PDF, its pages and sha256 from a ``serve`` running on this data directory, or
    None when none answers (then the command starts what it needs itself)."""
    path = settings.data_dir / "serve.sock"
    if not path.exists():
        return None
    connection = _LocalConnection(path, tls=bool(settings.tls_certificate), timeout=180)
    try:
        try:
            connection.request("POST", f"/local/render/{form_id}", body=json.dumps(data, ensure_ascii=False).encode(),
                               headers={"Content-Type": "application/json", "Accept": "application/json"})
        except OSError:  # a socket left by a service that is gone
            return None
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    if response.status == 200:
        return body, int(response.getheader("X-Pages", "0")), response.getheader("X-Content-SHA256", "")
    try:
        problem = json.loads(body)["error"]  # the API's error shape: {"error": {"code", "message", …}}
    except (ValueError, KeyError, TypeError):
        problem = {"message": body[:300].decode(errors="replace")}
    if not isinstance(problem, dict):
        problem = {"message": str(problem)}
    if isinstance(problem.get("errors"), list) and problem["errors"]:  # fields named, as a local render would
        raise ValidationFailed([FieldProblem(str(e.get("path", "")), str(e.get("message", "")), str(e.get("code", "")))
                                for e in problem["errors"]], form_id=form_id)
    error = InputError if 400 <= response.status < 500 else FormsError
    raise error(str(problem.get("message") or f"the running service answered {response.status}"),
                details={k: v for k, v in problem.items() if k not in ("code", "message")})


def render_batch(form_id: str | None, source: Path, out_dir: Path) -> None:
    from ..access import LOCAL_OPERATOR
    from ..components import open_templates
    from ..produce.batch import check_all, in_item_order, produce_ready

    if form_id is not None:
        get_form(form_id)  # an unknown form id is refused before anything starts
    items = batch_items(source, form_id, out_dir)
    settings = load_settings()
    checked = check_all(items, open_templates(settings))  # every input checked before LibreOffice starts
    produced = []
    if checked.ready:
        workers = settings.converter_workers
        with started(settings, archive=False, catalog=True, converter=True, workers=workers) as components, \
                click.progressbar(length=len(checked.ready), label="rendering", file=sys.stderr,
                                  show_pos=True, show_eta=True) as bar:
            filing = components.filing
            produced = produce_ready(checked.ready, lambda spec, form: filing.produce(LOCAL_OPERATOR, spec, form),
                                     out_dir, parallel=workers,
                                     on_done=lambda _: bar.update(1))
    report_outcomes(in_item_order(items, checked.refused + produced), out_dir)


def batch_items(source: Path, form_id: str | None, out_dir: Path) -> list[Any]:
    """The items of ``--batch SOURCE``, refused with a sentence when there are none or they cannot
    be read, or when ``-o`` is not a directory."""
    from ..produce.batch import read_items

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: with --batch, -o names a directory")
    try:
        items = read_items(source, form_id)
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{source}: cannot read it ({err})") from err
    if not items:
        raise InputError(f"{source}: no items (a directory of *.json files or a .jsonl file)")
    return items


def report_outcomes(outcomes: list[Any], out_dir: Path) -> None:
    """Each item that was not produced, the summary, and the exit status: 1 when any failed, 2 when
    any was refused, 0 when all were produced."""
    from ..produce.batch import summary

    for outcome in outcomes:
        if outcome.status != "ok":
            click.echo(f"{outcome.name}: {outcome.status}: {outcome.detail}")
    counts = summary(outcomes)
    click.echo(f"{len(outcomes)} item(s): {counts['ok']} ok, {counts['refused']} refused, {counts['failed']} failed"
               f" — written to {out_dir}")
    if counts["failed"]:
        sys.exit(1)
    if counts["refused"]:
        sys.exit(2)


@click.group()
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


@forms.command("example")
@click.argument("form_id")
def forms_example(form_id: str) -> None:
    """Print a complete, valid input of FORM_ID (JSON) to start from."""
    click.echo(json.dumps(example_input(form_id), ensure_ascii=False, indent=2))


@click.group()
def templates() -> None:
    """Form templates (.docx), packaged or supplied by an agency in FORMS_TEMPLATE_DIR."""


@templates.command("check")
@click.argument("docx", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--form", "form_id", required=True, help="the form id the template is for")
def templates_check(docx: Path, form_id: str) -> None:
    """Check DOCX as FORM_ID's template: unknown or split placeholders, required fields it never
    prints, fonts that resolve to no installed face.  Exit 1 if anything is found."""
    from ..produce.template_check import check_template_limited

    problems = check_template_limited(docx.read_bytes(), get_form(form_id),
                                      provider_name=load_settings().provider_name)
    for problem in problems:
        click.echo(f"{docx.name}: {problem}")
    if problems:
        sys.exit(1)
    click.echo(f"{docx.name}: fit to be the {form_id} template")
