"""Errors → HTTP, in one place.  Bodies are JSON ``{"error": {code, message, …}}``, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from .. import errors as e

log = logging.getLogger(__name__)

STATUS_BY_TYPE: list[tuple[type[e.FormsError], int]] = [
    (e.ValidationFailed, 422),
    (e.UnknownForm, 404),
    (e.InputError, 400),
    (e.Unauthorized, 401),
    (e.Forbidden, 403),
    (e.TooManyAttempts, 429),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.ConfigError, 500),
    (e.ServiceUnavailable, 503),
]


def status_for(err: e.FormsError) -> int:
    for kind, status in STATUS_BY_TYPE:
        if isinstance(err, kind):
            return status
    return 500


def error_response(code: str, message: str, status: int, **details):
    response = jsonify({"error": {"code": code, "message": message, **details}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="forms-service"'
    if status == 503:
        response.headers["Retry-After"] = "5"
    return response


def register(app: Flask) -> None:
    @app.errorhandler(e.FormsError)
    def _forms_error(err: e.FormsError):
        status = status_for(err)
        if status >= 500:
            log.warning("%s: %s", err.code, err.message)
        response = error_response(err.code, err.message, status, **err.details)
        if isinstance(err, e.TooManyAttempts):
            response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException):
        code = (err.name or "error").lower().replace(" ", "_")
        return error_response(code, err.description or err.name, err.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        log.exception("unexpected error")
        return error_response("internal_error", "an unexpected error occurred; it has been logged", 500)
