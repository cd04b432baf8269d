"""``GET /healthz``: are the store, the catalog and the converter workers usable?"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..errors import FormsError
from storage import StorageError

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    components = current_app.extensions["forms"]
    checks: dict[str, dict] = {}
    try:
        components.catalog.ping()
        checks["catalog"] = {"ok": True}
    except FormsError as err:
        checks["catalog"] = {"ok": False, "error": err.message}
    try:
        components.store.ensure_ready()
        checks["store"] = {"ok": True}
    except StorageError as err:
        checks["store"] = {"ok": False, "error": str(err)}
    workers = components.converter.status() if hasattr(components.converter, "status") else []
    checks["converter"] = {"ok": any(w["alive"] for w in workers) if workers else True, "workers": workers}
    ok = all(c["ok"] for c in checks.values())
    return jsonify({"ok": ok, "checks": checks}), 200 if ok else 503
