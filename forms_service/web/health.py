"""``GET /healthz``: are the store, the catalog and the converter workers usable?  503 if not."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from storage import StorageError

from ..errors import FormsError, ServiceUnavailable
from .context import components

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    service = components()
    checks: dict[str, dict[str, Any]] = {}
    try:
        service.require_archive()[1].ping()
        checks["catalog"] = {"ok": True}
    except FormsError as err:
        checks["catalog"] = {"ok": False, "error": err.message}
    try:
        service.require_archive()[0].ensure_ready()
        checks["store"] = {"ok": True}
    except (StorageError, FormsError) as err:
        checks["store"] = {"ok": False, "error": str(err)}
    status = getattr(service.converter, "status", None)
    workers = status() if status is not None else []
    checks["converter"] = {"ok": any(w["alive"] for w in workers) if workers else True, "workers": workers}
    failed = sorted(name for name, check in checks.items() if not check["ok"])
    if failed:
        raise ServiceUnavailable(f"not healthy: {', '.join(failed)}", details={"ok": False, "checks": checks})
    return jsonify({"ok": True, "checks": checks})
