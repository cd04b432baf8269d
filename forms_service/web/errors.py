"""Errors → HTTP, in one place: the same error as a page for people and as JSON for programs.

Views never set an error status: they raise (``FormsError``, or ``abort`` for HTTP-level refusals)
and this handler answers.  Requests to the API and ``/healthz`` get
``{"error": {code, message, …}}``; pages get ``error.html`` in Traditional Chinese — or, for a view
that shows its own form again with the error beside it (sign-in), the template it names with
``shows_errors_on``.  Never a traceback.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .. import errors as e

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

STATUS_BY_TYPE: list[tuple[type[e.FormsError], int]] = [
    (e.ValidationFailed, 422),
    (e.SignatureRefused, 422),
    (e.UnknownForm, 404),
    (e.InputError, 400),
    (e.Unauthorized, 401),
    (e.Forbidden, 403),
    (e.TooManyAttempts, 429),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.SignatureRequired, 409),
    (e.SessionExpired, 410),
    (e.IntegrityFailed, 500),
    (e.ConfigError, 500),
    (e.ServiceUnavailable, 503),
]

# Blueprints that speak JSON; everything else is a page.
JSON_BLUEPRINTS = {"api", "openapi", "health", "local"}


def status_for(err: e.FormsError) -> int:
    for kind, status in STATUS_BY_TYPE:
        if isinstance(err, kind):
            return status
    return 500


def shows_errors_on(template: str) -> Callable[[F], F]:
    """A page view whose errors are shown on its own form again (``template``, with ``error``)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            g.error_page = template
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def wants_json() -> bool:
    if g.get("json_errors"):  # a page's own script asked (the signing page's steps)
        return True
    if request.blueprint is not None:
        return request.blueprint in JSON_BLUEPRINTS
    return request.path.startswith("/api/") or request.path == "/healthz"


def answer(code: str, message: str, status: int, *, details: dict[str, Any] | None = None,
           headers: dict[str, str] | None = None) -> Response:
    headers = dict(headers or {})
    if status == 401 and wants_json():
        headers.setdefault("WWW-Authenticate", 'Bearer realm="forms-service"')
    if status == 503:
        headers.setdefault("Retry-After", "5")
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message, **(details or {})}})
    else:
        page = g.get("error_page") or "error.html"
        response = Response(render_template(page, error={"code": code, "message": message, "status": status,
                                                         **(details or {}), "sentence": for_people(message)}))
    response.status_code = status
    response.headers.update(headers)
    return response


_CJK = re.compile(r"[\u3400-\u9fff]")
_PROGRAM_PREFIX = re.compile(r"^(?:[A-Za-z0-9_.\-\[\]()]+:\s*)+")  # "annex2-agreement: period.end: "
_ENGLISH_ASIDE = re.compile(r"\s*[（(][^（）()]*[A-Za-z]{3,}[^（）()]*[）)]")


def for_people(message: str) -> str:
    """The part of an error's message a page shows: its Chinese sentence without the English aside
    some messages carry for programs (``… (no draft drf_… for your agency)``); nothing when the
    message is not Chinese — the page's own heading and explanation say it then."""
    if not _CJK.search(message or ""):
        return ""
    return _ENGLISH_ASIDE.sub("", _PROGRAM_PREFIX.sub("", message)).strip()


# What a refused request was trying to do, by the view it reached.
REFUSED_ACTIONS = {"api.create_record": "record.create", "api.post_countersign": "record.countersign",
                   "api.post_legal_hold": "record.hold", "api.post_retention": "record.retain",
                   "api.post_export": "evidence.export"}


def _audit_refusal(err: e.Forbidden) -> None:
    """Every refusal of a known caller is in the audit log — once (a view may have logged it)."""
    actor = g.get("actor") or g.get("ui_actor")
    if actor is None or g.get("refusal_logged"):
        return
    from .auth import refuse  # the handler sits below the views' modules

    endpoint = request.endpoint or ""
    refuse(actor.id, actor.agency, err.message, action=REFUSED_ACTIONS.get(endpoint, endpoint or "request"),
           record_id=(request.view_args or {}).get("record_id", ""))


def register(app: Flask) -> None:
    @app.errorhandler(e.FormsError)
    def _forms_error(err: e.FormsError) -> Response:
        status = status_for(err)
        if status >= 500:
            log.warning("%s: %s", err.code, err.message)
        if isinstance(err, e.Forbidden):
            _audit_refusal(err)
        headers = {"Retry-After": str(err.retry_after)} if isinstance(err, e.TooManyAttempts) else None
        return answer(err.code, err.message, status, details=err.details, headers=headers)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response:
        code = (err.name or "error").lower().replace(" ", "_")
        return answer(code, err.description or err.name, err.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        # A reference a person can quote to an administrator, who finds it in the log.
        reference = secrets.token_hex(4).upper()
        log.exception("unexpected error (reference %s)", reference)
        return answer("internal_error", f"an unexpected error occurred; it has been logged as {reference}", 500,
                      details={"reference": reference})
