"""``forms-service query-events``: query events from files, for systems that export their logs."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..access import Actor, Role
from ..errors import InputError
from .base import catalog_only, load_settings

BATCH = 500


@click.group("query-events")
def query_events() -> None:
    """Query events of the agencies' business systems (規範 六(四)2)."""


@query_events.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--agency", required=True, help="the 機關代碼 of the agency whose system made the queries")
@click.option("--system", required=True, help="the business system's name")
def import_events(csv_file: Path, agency: str, system: str) -> None:
    """Import CSV_FILE's query events (columns: event_id, at, user_name, user_account, business_id,
    subject_name, purpose, case_no, source_ip, result_count).  Each event is stored once, however
    often it is imported; refused rows are listed with their line numbers.  Exit 2 if any was refused."""
    from ..access.tokens import require_agency_code
    from ..clock import SystemClock
    from ..querylog.csv_import import CsvProblem, read_rows
    from ..querylog.events import ingest
    from ..querylog.month import connection_of

    agency = require_agency_code(agency)
    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = csv_file.read_text(encoding="cp950")  # Big5, as Excel saves on Traditional-Chinese Windows
    try:
        rows = list(read_rows(text, system=system.strip()))
    except CsvProblem as err:
        raise InputError(f"{csv_file}: {err}") from None
    operator = Actor(id="cli:local", agency=agency, role=Role.SYSTEM, system=system.strip())
    accepted = duplicates = 0
    refused: list[str] = []
    settings = load_settings()
    with catalog_only(settings) as catalog, click.progressbar(
            length=len(rows), label=f"{csv_file.name} → {agency} / {system}", file=sys.stderr,
    ) as bar:
        connection = connection_of(catalog, agency=agency, system=system.strip())
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            result = ingest(catalog, operator, [event for _, event in batch], clock=SystemClock(),
                            window_days=settings.query_event_window_days,
                            terminated_on=connection.terminated_on if connection else None)
            accepted += len(result.accepted)
            duplicates += len(result.duplicates)
            for item in result.refused:
                line = batch[item.index][0]
                refused += [f"line {line}: {p.path or '(row)'}: {p.message}" for p in item.problems]
            bar.update(len(batch))
        from ..catalog import NewAuditEvent

        catalog.audit(NewAuditEvent(actor=operator.id, agency=agency, action="query-events.import", detail={
            "system": operator.system, "file": csv_file.name, "accepted": accepted, "duplicates": duplicates,
            "refused_rows": len({m.split(":")[0] for m in refused})}))
    for message in refused[:200]:
        click.echo(message)
    click.echo(f"{len(rows)} row(s): {accepted} accepted, {duplicates} duplicate, "
               f"{len({m.split(':')[0] for m in refused})} refused")
    if refused:
        raise SystemExit(2)


@click.group("query-log")
def query_log() -> None:
    """The monthly check of a system's query events (規範 六(四)2)."""


@query_log.command("close")
@click.option("--agency", required=True, help="the 機關代碼 of the agency whose system it is")
@click.option("--system", required=True, help="the business system's name")
@click.option("--month", required=True, help="the finished month, e.g. 2026-11")
def close(agency: str, system: str, month: str) -> None:
    """Close a finished month: its events are sealed into the store (JSON Lines and a detached
    signature, under retention) and the month takes no more events."""
    from ..access import LOCAL_OPERATOR
    from ..access.tokens import require_agency_code
    from .base import started

    agency = require_agency_code(agency)
    with started(load_settings()) as components:
        closed = components.query_log_duty.close(LOCAL_OPERATOR, agency, system, month)
    click.echo(f"{agency} / {system} / {month}: {closed.count} event(s) sealed as {closed.object_key} "
               f"(sha256 {closed.sha256})")


@query_log.command("close-due")
def close_due() -> None:
    """Close every system's month whose FORMS_QUERY_LOG_CLOSE_DAYS have passed (what `serve` does
    hourly; for a cron job beside another server)."""
    from .base import started

    with started(load_settings()) as components:
        closed = components.close_due_query_months()
    for month in closed:
        click.echo(f"{month.agency} / {month.system} / {month.month}: {month.count} event(s) sealed")
    click.echo(f"{len(closed)} month(s) closed")


@query_log.command("assign")
@click.option("--agency", required=True, help="the 機關代碼 of the agency whose system it is")
@click.option("--system", required=True, help="the business system's name")
@click.option("--user", "username", required=True, help="the person (user name) who checks its queries monthly")
def assign(agency: str, system: str, username: str) -> None:
    """Make USER the system's 查核人員 — one of its queriers in a month not yet signed off is warned of,
    or refused where the agency's own rule says so (the regulation does not)."""
    from datetime import datetime, timezone

    from ..access import LOCAL_OPERATOR
    from ..access.tokens import require_agency_code
    from ..querylog.review import assign_reviewer, reviewer_warning, unsigned_recent_events

    agency = require_agency_code(agency)
    now = datetime.now(timezone.utc)
    with catalog_only(load_settings()) as catalog:
        recent = unsigned_recent_events(catalog, agency=agency, system=system.strip(), now=now)
        assigned = assign_reviewer(catalog, agency=agency, system=system, username=username, actor=LOCAL_OPERATOR,
                                   now=now, recent=recent, audit=catalog.audit)
        warning = reviewer_warning(catalog, agency=agency, system=system, username=username, recent=recent)
    click.echo(f"{assigned.agency} / {assigned.system}: 查核人員 {assigned.username}")
    if warning:
        click.echo(f"warning: {warning}")


@click.command("due")
@click.option("--agency", default="", help="only this agency (its 機關代碼)")
@click.option("--within", type=click.IntRange(0, 3660), help="only what is due within DAYS (overdue items always)",
              metavar="DAYS")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one item a line")
@click.option("--mail", is_flag=True, help="also send today's reminder digests now (FORMS_SMTP_*)")
def due(agency: str, within: int | None, as_json: bool, mail: bool) -> None:
    """What is due — renewals, yearly reviews, months of queries to sign off, explanations asked for,
    systems that went quiet — overdue first.  Exit 1 if anything is overdue (for monitoring)."""
    import json
    from datetime import datetime, timezone

    from ..access.tokens import require_agency_code
    from ..notify.due import all_due
    from ..taiwan import TAIPEI

    settings = load_settings()
    today = datetime.now(timezone.utc).astimezone(TAIPEI).date()
    with catalog_only(settings) as catalog:
        items = all_due(catalog, today=today, close_days=settings.query_log_close_days,
                        review_days=settings.query_log_review_days, explain_days=settings.query_log_explain_days,
                        agency=require_agency_code(agency) if agency else None, within=within,
                        signature_days=settings.signature_due_days)
        for item in items:
            if as_json:
                click.echo(json.dumps(item.as_dict(), ensure_ascii=False))
            else:
                mark = "OVERDUE" if item.overdue(today) else "due"
                click.echo(f"{mark:7} {item.due_on.isoformat()}  {item.kind:14} {item.agency}  {item.title}")
        if not as_json:
            click.echo(f"{len(items)} item(s), {sum(i.overdue(today) for i in items)} overdue")
        if mail:
            _mail(settings, catalog, items)
    if any(i.overdue(today) for i in items):
        raise SystemExit(1)


def _mail(settings, catalog, items) -> None:  # type: ignore[no-untyped-def]
    from ..clock import SystemClock
    from ..components import mailer_of
    from ..notify.reminders import send_reminders

    mailer = mailer_of(settings)
    if mailer is None:
        raise InputError("--mail needs FORMS_SMTP_HOST (and FORMS_SMTP_FROM)", details={"field": "mail"})
    sent = send_reminders(catalog, mailer, items, clock=SystemClock())
    click.echo(f"mail: {len(sent.sent)} sent, {len(sent.already)} sent earlier today, "
               f"{len(sent.no_address)} without an e-mail address, {len(sent.failed)} failed", err=True)
    for failure in sent.failed:
        click.echo(f"  {failure}", err=True)
