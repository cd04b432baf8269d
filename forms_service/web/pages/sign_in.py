"""Signing in and out: scrypt passwords, the brakes per address and per address-and-account, a
session in the catalog that sign-out ends."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from ...access import sessions
from ...access.users import sign_in as check_password
from ...catalog import NewAuditEvent
from ...errors import Unauthorized
from ..auth import check_attempts, check_network, source_ip
from ..context import catalog, components
from ..errors import shows_errors_on
from . import bp, check_csrf, session_actor


@bp.route("/login", methods=["GET", "POST"])
@shows_errors_on("login.html")
def login() -> Response | str:
    if request.method == "GET":
        return render_template("login.html", error=None)
    check_csrf()
    username = request.form.get("username", "").strip()
    check_attempts(account=username)
    service = components()
    now = service.clock.now()
    try:
        actor = check_password(catalog(), username, request.form.get("password", ""), now=now)
    except Unauthorized as err:
        catalog().audit(NewAuditEvent(actor=f"user:{username}", action="login", outcome="refused",
                                      source_ip=source_ip(), detail={"reason": err.message}))
        raise
    check_network(actor)
    session.clear()
    session["sid"] = sessions.start(catalog(), username, now=now, policy=service.session_policy)
    session.permanent = True
    catalog().audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="login", source_ip=source_ip()))
    return redirect(local_page(request.args.get("next", "")))


def local_page(target: str) -> str:
    """Where to go after signing in: one of our own pages, rebuilt from the route it matches —
    never the text as given, so ``/%09/evil.example`` or ``/\\evil.example`` cannot lead off site."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(target, method="GET")
    except (HTTPException, RequestRedirect):
        return url_for("ui.records")
    if not endpoint.startswith("ui.") or endpoint in ("ui.login", "ui.logout"):
        return url_for("ui.records")
    return url_for(endpoint, **values)


@bp.post("/logout")
def logout() -> Response:
    check_csrf()
    actor = session_actor()
    if actor is not None:
        catalog().audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="logout", source_ip=source_ip()))
    sessions.end(catalog(), session.get("sid"), now=components().clock.now())
    session.clear()
    return redirect(url_for("ui.login"))
