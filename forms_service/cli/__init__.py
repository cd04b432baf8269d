"""The ``forms-service`` command line: the ``main`` group and a module per command group.

``serve`` runs the service; ``produce`` makes documents without a server; ``records``, ``archive``,
``evidence`` and ``audit`` work on what is stored; ``admin`` manages people, tokens and settings.
See ``base.py`` for exit statuses.
"""

from __future__ import annotations

import logging
import os

import click

from . import admin, archive, audit, db, evidence, jobs, produce, querylog, records, serve
from .base import Group


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="forms-service")
def main() -> None:
    """Fill, convert to PDF/A, sign and archive the forms of 使用商工資料資通安全管理規範.

    Settings come from FORMS_* environment variables (see `forms-service settings`).
    Exit status: 0 done, 2 bad input (the message names the field), 1 a component failed.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if os.environ.get("FORMS_LOG_FORMAT", "").strip().lower() == "json":
        from ..observe.logs import use_json_logs

        use_json_logs()
    # pyHanko logs every untrusted or unverifiable path with a traceback; our reports say it better.
    for noisy in ("pyhanko", "pyhanko_certvalidator", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)


for command in (
    serve.serve, produce.render, produce.forms, produce.templates, records.verify, records.countersign_command,
    records.records, records.signatures, records.disposition,
    archive.archive, archive.catalog_group, archive.storage_group,
    evidence.export_group, audit.audit, admin.users, admin.tokens, admin.show_settings, querylog.query_events,
    querylog.query_log, querylog.due, db.db_group, jobs.jobs_group,
):
    main.add_command(command)

__all__ = ["main"]
