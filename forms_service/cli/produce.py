"""Making documents without a server: ``render``; the forms and their templates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..forms import all_forms, example_input, get_form
from .base import load_settings, read_json, started


@click.command()
@click.argument("form_id")
@click.argument("input_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="where to write the signed PDF/A")
def render(form_id: str, input_file: Path, output: Path) -> None:
    """Fill FORM_ID from INPUT_FILE (JSON) into a signed PDF/A, without a server.

    INPUT_FILE may be - for standard input.  Invalid input exits with status 2 and names the field.
    """
    from ..components import open_templates
    from ..produce import validate_input

    settings = load_settings()
    spec, form = validate_input(form_id, read_json(input_file), open_templates(settings))  # before LibreOffice starts
    with started(settings, archive=False, converter=True, workers=1) as components:
        produced = components.producer.produce_validated(spec, form)
    tmp = output.with_name(output.name + ".part")
    tmp.write_bytes(produced.pdf)
    tmp.replace(output)  # never leave a half-written PDF under the requested name
    click.echo(f"{output}: {spec.annex} {spec.title}, {produced.pages} page(s), signed, sha256 {produced.sha256}")


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
    from ..produce.template_check import check_template

    problems = check_template(docx.read_bytes(), get_form(form_id), provider_name=load_settings().provider_name)
    for problem in problems:
        click.echo(f"{docx.name}: {problem}")
    if problems:
        sys.exit(1)
    click.echo(f"{docx.name}: fit to be the {form_id} template")
