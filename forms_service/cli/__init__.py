"""The ``forms-service`` command line: the ``main`` group and a module per command group.

``serve`` runs the service; ``produce`` makes documents without a server; ``records``, ``archive``,
``evidence`` and ``audit`` work on what is stored; ``admin`` manages people, tokens and settings.
See ``base.py`` for exit statuses.
"""

from __future__ import annotations

import os

from ..observe.console import hide_library_warnings

hide_library_warnings()  # before the command modules import pyHanko and the like

import click  # noqa: E402

from . import admin, archive, audit, db, evidence, jobs, produce, querylog, records, serve, signers  # noqa: E402
from .base import Group  # noqa: E402


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forms-service")
@click.option("-v", "--verbose", count=True, help="more lines: -v libraries' too, -vv debugging detail")
def main(verbose: int) -> None:
    """Fill, convert to PDF/A, sign and archive the forms of 使用商工資料資通安全管理規範.

    Settings come from FORMS_* environment variables (see `forms-service settings`).
    Exit status: 0 done, 2 bad input (the message names the field), 1 a component failed.
    """
    from ..observe.console import quiet_console

    quiet_console(verbose, json_lines=os.environ.get("FORMS_LOG_FORMAT", "").strip().lower() == "json")
    if verbose:
        os.environ["FORMS_VERBOSE"] = str(verbose)  # for serve's web processes and gunicorn


for command in (
    serve.serve, produce.render, produce.forms, produce.templates, records.verify, records.countersign_command,
    records.records, records.signatures, records.disposition,
    archive.archive, archive.catalog_group, archive.storage_group,
    evidence.export_group, audit.audit, admin.users, admin.tokens, admin.show_settings, querylog.query_events,
    querylog.query_log, querylog.due, db.db_group, jobs.jobs_group, signers.signers_group, signers.demo_group,
):
    main.add_command(command)

__all__ = ["main"]
