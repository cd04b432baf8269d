"""Pages for people (server-rendered, Traditional Chinese), one blueprint ``ui``, a module per audience.

Shared here: the signed-in actor — the session lives in the catalog and can be ended; the cookie
(HttpOnly, SameSite=Lax, signed) holds only its id — a CSRF token on every form, the role's IP
allowlist checked on every request, and what every page shows (the notice of 規範 六(五), who is
signed in).  ``sign_in`` signs people in and out; ``records`` is for records clerks.  Errors travel
as exceptions to ``web/errors.py``, which renders them as pages.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from ...access import Actor, Role, sessions
from ...access.policy import Action, may, require
from ...archive.report_zh import roc_datetime, signer_name, subject_text
from ...errors import UnknownForm
from ...forms import get_form
from ...forms.signatures import block
from ...taiwan import TAIPEI, format_roc_month, format_roc_short
from ..auth import check_network
from ..context import catalog, components
from ..permissions import action_of

bp = Blueprint("ui", __name__)

ROLE_NAMES = {Role.STAFF: "承辦人", Role.CLERK: "檔案管理人員", Role.AUDITOR: "稽核人員", Role.PROVIDER: "資料提供機關",
              Role.ADMIN: "系統管理者", Role.SYSTEM: "業務系統", Role.QUERIER: "查調者"}
PUBLIC_ENDPOINTS = {"ui.login", "ui.static"}
# What the catalog stores in English, as the pages say it.
STATUS_NAMES = {"active": "保存中", "disposal-requested": "已申請銷毀", "disposed": "已銷毀"}
REASON_NAMES = {"created": "建立", "countersigned": "資料提供機關會簽", "archive timestamp renewed": "典藏時戳更新"}


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    token: str = session["csrf"]
    return token


def check_csrf() -> None:
    sent = request.form.get("csrf", "") or request.headers.get("X-CSRF-Token", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(400, description="表單已過期，請重新整理頁面後再送出一次")


def session_actor() -> Actor | None:
    """Who holds this browser's session now (None: nobody, or it ended)."""
    if "ui_actor" not in g:
        service = components()
        g.ui_actor = sessions.actor(catalog(), session.get("sid"), now=service.clock.now(),
                                    policy=service.session_policy)
    found: Actor | None = g.ui_actor
    return found


def signed_in() -> Actor:
    """The actor of this page request (``_require_sign_in`` has made sure there is one)."""
    actor: Actor = g.ui_actor
    return actor


def _form_name(form_id: str) -> str:
    """``annex2-agreement`` → 附件2 商工資料使用安全約定書 (the id itself for an unknown one)."""
    try:
        spec = get_form(form_id)
    except UnknownForm:
        return form_id
    return f"{spec.annex} {spec.title}"


@bp.app_context_processor
def _common() -> dict[str, Any]:
    return {"notice": current_app.config["FORMS_NOTICE"], "csrf_token": csrf_token, "actor": g.get("ui_actor"),
            "role_names": ROLE_NAMES, "roc": lambda d: format_roc_short(d) if d else "",
            "taipei": lambda t: t.astimezone(TAIPEI) if t else t,  # a stored (UTC) time as Taipei's
            "status_names": STATUS_NAMES, "reason_names": REASON_NAMES, "form_name": _form_name,
            "provider_name": components().settings.provider_name,
            "require_purpose": components().settings.require_purpose,
            "block_label": _block_label, "signer_name": signer_name, "roc_time": _roc_time, "who": _who,
            "roc_month": _roc_month, "roc_moment": roc_datetime, "subject_text": subject_text,
            "nav_counts": _nav_counts, "may": _may}


def _may(action: str) -> bool:
    """Whether the signed-in person may take ``action`` (the table's value: ``read-records``…)."""
    actor = g.get("ui_actor")
    return actor is not None and may(actor, Action(action))


COUNTS_FOR_SECONDS = 60  # the navigation's counts are kept this long in the session: not a query per page


def _nav_counts() -> dict[str, int]:
    """How many things wait in the navigation's lists (待辦事項 3, 待會簽 1), for the signed-in person."""
    actor = signed_in()
    now = components().clock.now().timestamp()
    kept = session.get("nav_counts")
    if isinstance(kept, dict) and kept.get("who") == actor.id and now - kept.get("at", 0) < COUNTS_FOR_SECONDS:
        return dict(kept.get("counts") or {})
    counts: dict[str, int] = {}
    if may(actor, Action.SEE_DUE):
        counts["due"] = len(components().due_items(agency=actor.scope))
    if may(actor, Action.COUNTERSIGN):
        waiting = [block(r.form_id, r.awaiting) for r in catalog().records_awaiting_signature()]
        counts["countersign"] = sum(1 for found in waiting if found is not None and found.signer == "provider")
    session["nav_counts"] = {"who": actor.id, "at": now, "counts": counts}
    return counts


def _roc_month(month: str) -> str:
    """``2026-11`` → 115年11月; anything else as it is."""
    try:
        return format_roc_month(month)
    except (ValueError, AttributeError):
        return month


def _who() -> tuple[str, str]:
    """(the agency's name, the person's) for the page's header — names, not codes and accounts: the
    agency's profile names it (the provider is the provider), the account its person."""
    if "who" not in g:
        actor = signed_in()
        user = catalog().user(actor.id.removeprefix("user:"))
        person = (user.full_name or user.username) if user is not None else ""
        if actor.role is Role.PROVIDER:
            agency = components().settings.provider_name
        else:
            profile = catalog().agency_profile(actor.agency) if actor.agency else None
            agency = str((profile.data if profile is not None else {}).get("name") or actor.agency)
        g.who = (agency, person)
    found: tuple[str, str] = g.who
    return found


def _block_label(form_id: str, field: str) -> str:
    """A signature's block as the form prints it (承辦人…), or its field's name."""
    found = block(form_id, field)
    return found.label if found is not None else field


def _roc_time(text: str) -> str:
    """An ISO time as 民國 date and Taipei time: 115/11/27 14:05."""
    try:
        moment = datetime.fromisoformat(text).astimezone(TAIPEI)
    except (TypeError, ValueError):
        return ""
    return f"{format_roc_short(moment.date())} {moment:%H:%M}"


@bp.before_request
def _require_sign_in() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    actor = session_actor()
    if actor is None:
        return redirect(url_for("ui.login", next=request.path))
    check_network(actor)
    if actor.role is Role.QUERIER and request.endpoint == "ui.records":
        return redirect(url_for("ui.my_queries"))  # where signing in lands: his own page instead
    if request.method == "POST":
        check_csrf()  # every form a page posts carries its token: checked here, before the view
    action = action_of(request.endpoint)
    if action is not None:
        require(actor, action)  # the authorisation table (access/policy.py)
    return None


from . import admin, batches, connections, due, fill, oversight, provider, querylogs, records, sign, sign_in  # noqa: E402,F401  (the views register themselves on ``bp``)
