"""The Flask app factory.  Blueprints per resource (API, OpenAPI, health, pages); errors become
HTTP answers in one place (``errors.py``); views reach the components through ``context.py``."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from flask import Flask, g, request
from jinja2.bccache import Bucket, BytecodeCache
from werkzeug.wrappers import Response

from ..audit import request_ids
from ..components import Components, start_components
from ..settings import Settings
from . import api, batches_api, errors, health, local, openapi, oversight_api, pages, signing_api  # noqa: F401  (*_api add to api.bp)
from .routing import LazilyBuiltRule


def create_app(settings: Settings | None = None, *, components: Components | None = None,
               test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app.  Pass ``components`` to share running ones (the CLI and tests do);
    without them the app starts its own from ``settings`` and stops them at exit."""
    settings = settings or (components.settings if components else Settings.load())
    app = _App(__name__)
    app.config.from_mapping(
        # a form's JSON: a 附件5 of its most entries (10,000, ~270 bytes each) with room for long notes
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        # a form page posts one field per input: a 附件5 of its most entries has ~120,000 of them
        MAX_FORM_PARTS=150_000,
        MAX_FORM_MEMORY_SIZE=8 * 1024 * 1024,
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    if components is None:
        components = start_components(settings)
        import atexit

        atexit.register(components.close)
    app.config.update(
        SECRET_KEY=settings.secret_key or _generated_secret(settings),
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours), FORMS_NOTICE=settings.notice_text,
    )
    app.extensions["forms"] = components
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Flask's DefaultJSONProvider has them
    app.json.sort_keys = False  # type: ignore[attr-defined]
    errors.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.register_blueprint(openapi.bp, url_prefix="/api/v1")
    app.register_blueprint(pages.bp)
    app.register_blueprint(local.bp, url_prefix="/local")
    app.before_request(_begin_request_id)
    app.after_request(_secure_headers)
    app.teardown_request(_end_request_id)
    if settings.proxy_hops:
        # Behind a reverse proxy the client's address is in X-Forwarded-For; trust only our hops.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way to add middleware
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)
    if settings.tls_certificate:
        app.config.update(SESSION_COOKIE_SECURE=True)
    return app


class _CompiledOnce(BytecodeCache):
    """The pages' templates compiled once per process, for every app of it (Jinja keeps a compiled
    template per app; the tests make hundreds of apps).  A template whose source changed is compiled
    again: Jinja checks each entry's checksum."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        compiled = self._compiled.get(bucket.key)
        if compiled is not None:
            bucket.bytecode_from_string(compiled)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


class _App(Flask):
    url_rule_class = LazilyBuiltRule  # its static files' rule too, made as Flask starts
    jinja_options = {"bytecode_cache": _CompiledOnce()}


def _generated_secret(settings: Settings) -> str:
    """A random session key kept in the data directory, so sessions survive restarts."""
    path = settings.data_dir / "session-secret"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _begin_request_id() -> None:
    """The request's id (the caller's X-Request-ID, or a new one): answered in the same header and
    written into every audit entry the request makes."""
    g.request_started = time.perf_counter()
    g.request_id, g.request_id_token = request_ids.begin(request.headers.get("X-Request-ID"))


def _end_request_id(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_ids.end(token)


def _secure_headers(response: Response) -> Response:
    if g.get("request_id"):
        response.headers["X-Request-ID"] = g.request_id
    if g.get("request_started") is not None:
        # Imported here, in a web process: gunicorn's master loads this package before it sets the
        # multi-process metrics folder, and prometheus_client chooses its storage when imported.
        from ..observe import metrics

        route = request.url_rule.rule if request.url_rule is not None else "(no route)"
        metrics.observe_request(request.method, route, response.status_code,
                                time.perf_counter() - g.request_started)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Content-Security-Policy",
                                # data: images: a form's preview, rendered for this request alone
                                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                "frame-ancestors 'none'")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
