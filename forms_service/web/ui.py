"""Pages for records clerks (server-rendered, Traditional Chinese): sign in, search, a record with
a preview of its pages, download.

Sessions are signed cookies (HttpOnly, SameSite=Lax); every form carries a CSRF token; sign-in
failures lock the account after five tries and slow down the address; the role's IP allowlist is
checked on every request.  The purpose and case number a clerk states with a search stay with the
session and go into the audit entry of every retrieval.  Every page shows the notice of 規範 六(五).
"""

from __future__ import annotations

import secrets

from flask import (
    Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for,
)

from ..catalog import NewAuditEvent, RecordFilter
from ..errors import Forbidden, NotFound, TooManyAttempts, Unauthorized
from ..forms import all_forms
from ..taiwan import InvalidValue, format_roc_short, taipei_day_range
from ..tokens import Actor
from ..users import sign_in
from .access import page_preview, pdf_download, visible_record
from .auth import check_attempts, check_network, source_ip

bp = Blueprint("ui", __name__, template_folder="templates")

ROLE_NAMES = {"staff": "承辦人", "clerk": "檔案管理人員", "auditor": "稽核人員", "provider": "資料提供機關", "admin": "系統管理者"}


def _components():
    return current_app.extensions["forms"]


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    sent = request.form.get("csrf", "")
    if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
        abort(400, description="表單已過期，請重新整理後再試 (CSRF token missing or wrong)")


def _actor() -> Actor | None:
    data = session.get("actor")
    return Actor(**data) if data else None


@bp.app_context_processor
def _common():
    return {"notice": current_app.config["FORMS_NOTICE"], "csrf_token": _csrf_token, "actor": _actor(),
            "role_names": ROLE_NAMES, "roc": lambda d: format_roc_short(d) if d else "",
            "require_purpose": _components().settings.require_purpose}


@bp.before_request
def _require_sign_in():
    if request.endpoint in ("ui.login", "ui.static"):
        return None
    g.ui_actor = _actor()
    if g.ui_actor is None:
        return redirect(url_for("ui.login", next=request.path))
    try:
        check_network(g.ui_actor)
    except Forbidden as err:
        return render_template("refused.html", message=err.message), 403
    return None


def _purpose() -> dict[str, str]:
    """The purpose and case number stated with the last search (kept in the session)."""
    return dict(session.get("purpose") or {})


def _purpose_missing() -> bool:
    return _components().settings.require_purpose and not _purpose().get("purpose")


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = "", 200
    if request.method == "POST":
        _check_csrf()
        username = request.form.get("username", "").strip()
        catalog = _components().catalog
        try:
            check_attempts()
            actor = sign_in(catalog, username, request.form.get("password", ""))
            check_network(actor)
        except TooManyAttempts as err:
            return render_template("login.html", error=err.message), 429, {"Retry-After": str(err.retry_after)}
        except Forbidden as err:
            return render_template("login.html", error=err.message), 403
        except Unauthorized as err:
            catalog.audit(NewAuditEvent(actor=f"user:{username}", action="login", outcome="refused",
                                        source_ip=source_ip(), detail={"reason": err.message}))
            error, status = err.message, 401
        else:
            session.clear()
            session["actor"] = {"id": actor.id, "agency": actor.agency, "role": actor.role}
            session.permanent = True
            catalog.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="login", source_ip=source_ip()))
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("ui.records"))
    return render_template("login.html", error=error), status


@bp.post("/logout")
def logout():
    _check_csrf()
    actor = _actor()
    if actor is not None:
        _components().catalog.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="logout",
                                                  source_ip=source_ip()))
    session.clear()
    return redirect(url_for("ui.login"))


@bp.get("/")
def home():
    return redirect(url_for("ui.records"))


@bp.get("/records")
def records():
    actor: Actor = g.ui_actor
    args = request.args
    error = ""
    query = None
    if "purpose" in args or "case_no" in args:
        session["purpose"] = {k: args.get(k, "").strip()[:limit] for k, limit in (("purpose", 200), ("case_no", 100))
                              if args.get(k, "").strip()}
    if any(args.get(k) for k in ("form", "subject", "from", "to")) or args.get("all"):
        try:
            created_from, created_until = taipei_day_range(args.get("from"), args.get("to"), names=("起日", "迄日"))
        except InvalidValue as err:
            error = str(err)
        else:
            if _purpose_missing():
                error = "請填寫查詢目的 (state the purpose of this search)"
            else:
                query = RecordFilter(
                    agency=None if actor.sees_all_agencies else actor.agency, form_id=args.get("form") or None,
                    subject=(args.get("subject") or "").strip() or None,
                    created_from=created_from, created_until=created_until,
                    limit=100,
                )
    found = _components().catalog.find_records(query) if query else []
    if query:
        _components().catalog.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="record.search",
                                                  source_ip=source_ip(), detail={**dict(args), **_purpose()}))
    return render_template("records.html", forms=all_forms(), records=found, searched=query is not None,
                           error=error, args=args, purpose=_purpose())


def _visible_or_page(record_id: str):
    """The record, or the page to answer instead: 404 (not visible) or back to search (no purpose)."""
    if _purpose_missing():
        return None, redirect(url_for("ui.records", need_purpose=1))
    try:
        return visible_record(g.ui_actor, record_id), None
    except NotFound:
        return None, (render_template("not_found.html", record_id=record_id), 404)


@bp.get("/records/<record_id>")
def record(record_id: str):
    actor: Actor = g.ui_actor
    found, answer = _visible_or_page(record_id)
    if answer:
        return answer
    _components().catalog.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="record.read",
                                              record_id=found.id, source_ip=source_ip(), detail=_purpose()))
    return render_template("record.html", record=found, purpose=_purpose())


def _version_or_page(record_id: str, number: int):
    found, answer = _visible_or_page(record_id)
    if answer:
        return None, None, answer
    version = next((v for v in found.versions if v.number == number), None)
    if version is None:
        return None, None, (render_template("not_found.html", record_id=record_id), 404)
    return found, version, None


@bp.get("/records/<record_id>/versions/<int:number>.pdf")
def download(record_id: str, number: int):
    found, version, answer = _version_or_page(record_id, number)
    if answer:
        return answer
    return pdf_download(g.ui_actor, found, version, {"via": "web", **_purpose()})


@bp.get("/records/<record_id>/versions/<int:number>/pages/<int:page>.png")
def preview(record_id: str, number: int, page: int):
    found, version, answer = _version_or_page(record_id, number)
    if answer:
        return answer
    if not 1 <= page <= max(version.pages, 1):
        return render_template("not_found.html", record_id=record_id), 404
    return page_preview(g.ui_actor, found, version, page, {"via": "web", **_purpose()})
