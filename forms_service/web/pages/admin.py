"""Pages for administrators: agency profiles, people who sign in, and API tokens.

``/admin/agencies`` lists the profiles and opens one by 機關代碼; ``/admin/agencies/<code>`` edits it
on a page made from the profile's model (``forms/profile.py``) like the forms' own pages, with the
same errors beside their fields.  ``/admin/users`` creates people (with a generated initial
password, shown once), resets passwords, locks (停用) and unlocks and changes roles; ``/admin/tokens`` creates API
tokens (shown once) and revokes them; ``/admin/signers`` registers and retires each party's keys and
approves people's own certificates — the same functions as the CLI's.  Every change is in the
audit log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import g, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from ...access import Actor, Role
from ...access.tokens import create_token, revoke
from ...access.users import create_user, lock, set_details, set_password, set_role, unlock
from ...catalog import NewAuditEvent
from ...connections.tokens import create_system_token
from ...errors import InputError, ValidationFailed
from ...forms.profile import AgencyProfile
from ...forms.spec import problems_from
from ...querylog.review import REVIEWER_ROLES
from ...signers import people
from ...signers.people import STATE_NAMES as PERSON_STATES
from ...signers.values import PARTIES
from ...taiwan import is_valid_agency_code, normalize_agency_code
from ..auth import source_ip
from ..context import catalog, components
from . import ROLE_NAMES, bp, signed_in
from .fields import Group, page_parts, parse

SCHEMA = AgencyProfile.model_json_schema()


@dataclass
class ProfilePage:
    code: str
    values: dict[str, Any]
    saved: bool = False
    extra_rows: int = 1

    def parts(self, problems: list[dict[str, str]] | None = None) -> tuple[Group, list[tuple[str, str, str]]]:
        return page_parts(SCHEMA, self.values, problems, extra_rows=self.extra_rows)


def _code(text: str) -> str:
    code = normalize_agency_code(text or "")
    if not is_valid_agency_code(code):
        raise InputError(f"{text!r} 不是機關代碼 (not a 機關代碼 like 379000000A or A15000000E)")
    return code


@bp.get("/admin/agencies")
def agencies() -> Response | str:
    if request.args.get("code"):
        return redirect(url_for("ui.agency", code=_code(request.args["code"])))
    return render_template("agencies.html", profiles=catalog().agency_profiles())


@bp.get("/admin/agencies/<code>")
def agency(code: str) -> str:
    code = _code(code)
    profile = catalog().agency_profile(code)
    g.profile_page = ProfilePage(code, profile.data if profile else {}, saved=bool(request.args.get("saved")))
    return render_template("agency.html", page=g.profile_page)


@bp.post("/admin/agencies/<code>")
def save_agency(code: str) -> Response:
    actor = signed_in()
    code = _code(code)
    values = parse(SCHEMA, request.form)
    given = request.form.get("extra_rows", "")
    extra = min(max(int(given) if given.isdigit() else 1, 1), 20)
    if request.form.get("action") == "add-row":
        return Response(render_template("agency.html", page=ProfilePage(code, values, extra_rows=extra + 1)))
    g.profile_page = ProfilePage(code, values, extra_rows=extra)
    g.error_page = "agency.html"  # errors are shown on the profile's own page (web/errors.py)
    try:
        profile = AgencyProfile.model_validate(values)
    except ValidationError as err:
        raise ValidationFailed(problems_from(err)) from None
    data = profile.model_dump(mode="json", exclude_defaults=True)
    catalog().set_agency_profile(code, data, by=actor.id, now=components().clock.now())
    catalog().audit(NewAuditEvent(actor=actor.id, agency=code, action="agency.profile", source_ip=source_ip(),
                                  detail={"code": code, "name": profile.name}))
    return redirect(url_for("ui.agency", code=code, saved=1), code=303)


# --- users and API tokens ------------------------------------------------------------------------

ROLES = [(role.value, label) for role, label in ROLE_NAMES.items()]
PEOPLE_ROLES = [(value, label) for value, label in ROLES if value != Role.SYSTEM]  # a system is no person


def _audit(actor: Actor, action: str, **detail: Any) -> None:
    catalog().audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action=action, source_ip=source_ip(),
                                  detail=detail))


@bp.get("/admin/users")
def users() -> str:
    now = components().clock.now()
    return render_template("users.html", users=catalog().users(), roles=PEOPLE_ROLES, now=now)


@bp.post("/admin/users")
def user_change() -> str | Response:
    """Create a user, reset a password, unlock, change a role — each audited; a new password is
    generated here and shown once."""
    actor = signed_in()
    g.error_page = "users.html"
    g.users_page = {"users": catalog().users(), "roles": PEOPLE_ROLES, "now": components().clock.now()}
    action = request.form.get("action", "")
    username = request.form.get("username", "").strip()
    shown: dict[str, str] = {}
    if action == "create":
        password = secrets.token_urlsafe(12)
        create_user(catalog(), username=username, password=password, agency=request.form.get("agency", ""),
                    role=request.form.get("role", ""), full_name=request.form.get("full_name", ""),
                    email=request.form.get("email", ""), system_account=request.form.get("system_account", ""))
        _audit(actor, "user.create", username=username, role=request.form.get("role", ""))
        shown = {"username": username, "password": password}
    elif action == "reset":
        password = secrets.token_urlsafe(12)
        set_password(catalog(), username, password)
        _audit(actor, "user.password", username=username)
        shown = {"username": username, "password": password}
    elif action == "unlock":
        unlock(catalog(), username)
        _audit(actor, "user.unlock", username=username)
    elif action == "lock":
        if username == actor.id.removeprefix("user:"):
            raise InputError("不能停用自己的帳號 (you cannot lock yourself out)")
        lock(catalog(), username, now=components().clock.now())
        _audit(actor, "user.lock", username=username)
    elif action == "details":
        set_details(catalog(), username, full_name=request.form.get("full_name", ""),
                    email=request.form.get("email", ""), system_account=request.form.get("system_account", ""))
        _audit(actor, "user.details", username=username)
    elif action == "role":
        set_role(catalog(), username, request.form.get("role", ""))
        _audit(actor, "user.role", username=username, role=request.form.get("role", ""))
    else:
        raise InputError("請選擇要進行的動作 (choose an action)")
    return render_template("users.html", users=catalog().users(), roles=PEOPLE_ROLES, now=components().clock.now(),
                           shown=shown, done=action)


@bp.get("/admin/tokens")
def tokens() -> str:
    return render_template("tokens.html", tokens=catalog().tokens(), roles=ROLES, now=components().clock.now())


@bp.post("/admin/tokens")
def token_change() -> str:
    """Create a token (shown once) or revoke one — each audited."""
    actor = signed_in()
    service = components()
    g.error_page = "tokens.html"
    g.tokens_page = {"tokens": catalog().tokens(), "roles": ROLES, "now": service.clock.now()}
    action = request.form.get("action", "")
    shown = ""
    if action == "create":
        given = request.form.get("days", "").strip()
        days = int(given) if given.isdigit() and 0 < int(given) <= 3660 else service.settings.token_days
        expires_at = service.clock.now() + timedelta(days=days)
        label = request.form.get("label", "").strip()[:100]
        if request.form.get("role", "") == Role.SYSTEM:
            shown = create_system_token(catalog(), agency=request.form.get("agency", ""), label=label,
                                        connection_id=request.form.get("connection", ""),
                                        system=request.form.get("system", ""), expires_at=expires_at)
        else:
            shown = create_token(catalog(), agency=request.form.get("agency", ""), role=request.form.get("role", ""),
                                 label=label, expires_at=expires_at)
        _audit(actor, "token.create", prefix=shown[:10], role=request.form.get("role", ""),
               agency=request.form.get("agency", ""))
    elif action == "revoke":
        revoked = revoke(catalog(), request.form.get("token", ""))
        _audit(actor, "token.revoke", prefix=revoked.prefix, token_id=revoked.id)
    else:
        raise InputError("請選擇要進行的動作 (choose an action)")
    return render_template("tokens.html", tokens=catalog().tokens(), roles=ROLES, now=service.clock.now(),
                           shown=shown, done=action)


# --- the 查核人員 of each business system ----------------------------------------------------------

@bp.get("/admin/query-reviewers")
def query_reviewers() -> str:
    return render_template("query_reviewers.html", assignments=catalog().query_reviewers(),
                           people=[u for u in catalog().users() if u.role in REVIEWER_ROLES])


@bp.post("/admin/query-reviewers")
def query_reviewer_assign() -> str:
    """Assign a system's 查核人員 (one of its queriers: a warning, or refused where the agency says so)."""
    actor = signed_in()
    g.error_page = "query_reviewers.html"
    g.query_reviewers_page = {"assignments": catalog().query_reviewers(),
                              "people": [u for u in catalog().users() if u.role in REVIEWER_ROLES],
                              "values": dict(request.form)}
    agency = normalize_agency_code(request.form.get("agency", ""))
    assigned, warning = components().query_log_duty.assign(actor, agency, request.form.get("system", ""),
                                          request.form.get("username", ""))
    return render_template("query_reviewers.html", assignments=catalog().query_reviewers(),
                           people=[u for u in catalog().users() if u.role in REVIEWER_ROLES], done=assigned,
                           warning=warning)


# --- signers: each party's keys, and people's own certificates -------------------------------------

KEY_KINDS = [("pkcs11", "PKCS#11（硬體安全模組或讀卡機上的卡片）"), ("pkcs12", "PKCS#12 檔案")]


def _signers_page(**extra: Any) -> dict[str, Any]:
    registry = components().signers
    return {"keys": registry.store.keys(), "people": registry.store.person_certificates(), "parties": PARTIES,
            "kinds": KEY_KINDS, "person_states": PERSON_STATES, **extra}


@bp.get("/admin/signers")
def signers() -> str:
    return render_template("signers.html", **_signers_page())


@bp.post("/admin/signers")
def signer_change() -> str:
    """Register a key (opened and its certificate checked), retire one, or decide on a person's
    certificate — each audited."""
    actor = signed_in()
    service = components()
    g.error_page = "signers.html"
    g.signers_page = _signers_page()
    action = request.form.get("action", "")
    form = request.form
    if action == "register":
        secret = form.get("secret", "").strip()
        service.signers.register(
            actor, party=form.get("party", ""), agency=_code(form["agency"]) if form.get("agency") else "",
            agency_name=form.get("agency_name", "").strip(), kind=form.get("kind", ""),
            module=form.get("module", "").strip(), token_label=form.get("token_label", "").strip(),
            key_label=form.get("key_label", "").strip(), path=form.get("path", "").strip(),
            secret_source=secret, label=form.get("label", "").strip()[:200], source_ip=source_ip())
    elif action == "retire":
        service.signers.retire(actor, form.get("key", ""), source_ip=source_ip())
    elif action in ("approve", "remove"):
        people.decide(service.signers.store, actor, form.get("fingerprint", ""), approve=action == "approve",
                      now=service.clock.now(), source_ip=source_ip())
    else:
        raise InputError("請選擇要進行的動作")
    return render_template("signers.html", **_signers_page(done=action))
