"""What every command shares: exit statuses, errors as sentences, settings, opening components.

Exit status: 0 success; 2 bad input or usage (the message names the field); 1 anything else (a
component down, a bad setting).  Messages go to stderr; results to stdout or the -o file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import json_input
from ..errors import FormsError, InputError, ValidationFailed
from ..settings import Settings

if TYPE_CHECKING:  # imported when a command needs them: `--help` and `render` start faster
    from ..components import Components
    from ..convert.pool import LibreOfficePool
    from ..repositories import Catalog

EXIT_INPUT = 2


class Group(click.Group):
    """Turns our errors into a sentence and an exit status instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FormsError as err:
            fail(err)


def fail(err: FormsError) -> None:
    click.echo(f"error [{err.code}]: {err.message}", err=True)
    if isinstance(err, ValidationFailed):
        for p in err.problems[1:]:
            click.echo(f"  {p.path}: {p.message}", err=True)
    sys.exit(EXIT_INPUT if isinstance(err, InputError) else 1)


def load_settings(**overrides: Any) -> Settings:
    return Settings.load(**overrides)


@contextmanager
def catalog_only(settings: Settings | None = None) -> Iterator[Catalog]:
    """The catalog alone (no store, no LibreOffice) for commands that only read or write rows."""
    from ..components import open_catalog

    catalog = open_catalog(settings or load_settings())
    try:
        yield catalog
    finally:
        catalog.close()


@contextmanager
def started(settings: Settings | None = None, *, converter: bool = False, workers: int | None = None,
            archive: bool = True, pool: LibreOfficePool | None = None, catalog: bool = False) -> Iterator[Components]:
    """The components a command needs, stopped when it ends (a running ``serve``'s store and demo
    PKI are shared, not started twice); ``pool``: LibreOffice workers the command already started."""
    from ..components import start_components

    with start_components(settings or load_settings(), with_archive=archive, with_converter=converter,
                          workers=workers, pool=pool, with_catalog=catalog) as components:
        yield components


def read_json(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except OSError as err:
        raise InputError(f"{path}: cannot read it ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: not UTF-8 text") from err
    nested = json_input.depth(text)
    if nested > json_input.MAX_DEPTH:
        raise InputError(f"{path}: the JSON nests {nested} levels deep; a form has at most {json_input.MAX_DEPTH}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from err


def day_option(text: str | None, option: str) -> Any:
    """A date option (2026-01-31 or 115/1/31) or None; a bad one is an input error naming the option."""
    from ..taiwan import InvalidValue, parse_date

    if not text:
        return None
    try:
        return parse_date(text)
    except InvalidValue as err:
        raise InputError(f"{option}: {err}", details={"field": option}) from None
