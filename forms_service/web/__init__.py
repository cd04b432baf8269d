"""The Flask app factory.  Blueprints per resource; HTTP status mapping only in ``errors.py``."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ..components import Components, start_components
from ..settings import Settings
from . import api, errors, health


def create_app(settings: Settings | None = None, *, components: Components | None = None,
               test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app.  Pass ``components`` to share running ones (the CLI and tests do);
    without them the app starts its own from ``settings`` and stops them at exit."""
    settings = settings or (components.settings if components else Settings.load())
    app = Flask(__name__)
    app.config.from_mapping(
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # a form's JSON; 附件5 with 10,000 entries is ~2 MB
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    if components is None:
        components = start_components(settings)
        import atexit

        atexit.register(components.close)
    app.extensions["forms"] = components
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    errors.register(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    return app
