"""Pages of connections (介接案): the agency's connections with their state and 使用期限, one
connection's timeline — every record of it, oldest first, and what it owes now — and the data
provider's audits of agencies (規範 七), scheduled here and listed for the agencies audited."""

from __future__ import annotations

from datetime import timedelta

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...connections.due import due_of
from ...connections.inspections import answers_due_on
from ...connections.parties import acknowledge
from ...connections.reading import read_connection, visible_connection
from ...connections.timeline import KIND_NAMES, STATE_NAMES, Connection, connections, today_in_taipei
from ...notify.audit_notice import schedule_and_notify
from ...notify.due import test_interval
from ...notify.reminders import KIND_NAMES as DUE_NAMES
from ...taiwan import normalize_agency_code
from ..auth import source_ip
from ..context import catalog, components
from ..oversight_api import oversight
from . import bp, signed_in


@bp.get("/connections")
def connections_page() -> str:
    actor = signed_in()
    agency = (normalize_agency_code(request.args.get("agency", "")) or None) if actor.sees_all_agencies \
        else actor.agency
    today = today_in_taipei(components().clock.now())
    return render_template("connections.html", connections=connections(catalog(), agency=agency), today=today,
                           state_names=STATE_NAMES, agency=agency)


@bp.get("/connections/<connection_id>")
def connection_page(connection_id: str) -> str:
    found = read_connection(catalog(), signed_in(), connection_id, source_ip=source_ip(), via="web")
    page = _connection_page(connection_id, found=found, done=request.args.get("done"))
    return render_template("connection.html", page=page)


def _connection_page(connection_id: str, *, found: Connection | None = None, **extra: object) -> dict[str, object]:
    found = found or visible_connection(catalog(), signed_in(), connection_id)
    today = today_in_taipei(components().clock.now())
    interval = test_interval(catalog(), found.user_unit.get("code", ""))
    last_month = today.replace(day=1) - timedelta(days=1)  # the month whose queries are checked now
    return {"connection": found, "today": today, "state_names": STATE_NAMES, "kind_names": KIND_NAMES,
            "last_month": f"{last_month:%Y-%m}",
            "due": due_of(found, today, security_test_months=interval), "due_names": DUE_NAMES, **extra}


@bp.post("/connections/<connection_id>/termination")
def connection_stop(connection_id: str) -> Response:
    """The provider stops the connection by its letter; errors come back beside their fields."""
    actor = signed_in()
    # The page first: an unknown connection is the plain error page, not this one without its values.
    g.connection_page = _connection_page(connection_id, values=dict(request.form))
    g.error_page = "connection.html"
    oversight().stop_connection(actor, connection_id, dict(request.form), source_ip=source_ip())
    return redirect(url_for("ui.connection_page", connection_id=connection_id, done="stopped"), code=303)


@bp.post("/connections/<connection_id>/acknowledge")
def connection_acknowledge(connection_id: str) -> Response:
    """The 資料使用單位's staff acknowledge the connection as theirs."""
    actor = signed_in()
    service = components()
    acknowledge(catalog(), actor, connection_id, now=service.clock.now(), notify=service.notifier,
                source_ip=source_ip())
    return redirect(url_for("ui.connection_page", connection_id=connection_id, done="acknowledged"), code=303)


# --- the provider's audits (規範 七) -------------------------------------------------------------

def _inspections_page(**extra: object) -> dict[str, object]:
    actor = signed_in()
    return {"inspections": catalog().inspections(agency=actor.scope), "answers_due_on": answers_due_on,
            "today": today_in_taipei(components().clock.now()), **extra}


@bp.get("/inspections")
def inspections_page() -> str:
    return render_template("inspections.html", page=_inspections_page())


@bp.post("/inspections")
def inspection_schedule() -> str:
    """Schedule an audit; a date under a month ahead comes back beside its field."""
    actor = signed_in()
    g.error_page = "inspections.html"
    g.inspections_page = _inspections_page(values=dict(request.form))
    inspection, notified = schedule_and_notify(catalog(), components().mailer, actor, dict(request.form),
                                             provider_name=components().settings.provider_name,
                                             clock=components().clock)
    return render_template("inspections.html", page=_inspections_page(done=inspection, notified=notified))
