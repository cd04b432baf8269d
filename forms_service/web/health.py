"""Probes for load balancers and orchestrators:

- ``GET /livez``: the process answers (nothing else is touched), for restarting a hung process;
- ``GET /readyz``: every part a request needs works — the catalog, the store, the converter
  workers, the signer's key (a PKCS#11 token present) and the timestamp authority reachable — else
  503 naming the parts that fail, for taking an instance out of rotation;
- ``GET /healthz``: the same as ``/readyz`` (its older name);
- ``GET /metrics``: Prometheus's text format (``observe/metrics.py``), every web process's samples —
  to callers from FORMS_METRICS_NETWORKS (loopback by default) or with an administrator's token.

What the probes say is the service's state, never its internals: LibreOffice workers' process ids
are shown only to an administrator's token.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from typing import Any

from flask import Blueprint, Response, jsonify

from storage import StorageError

from ..access import Role
from ..access.networks import address_allowed
from ..access.tokens import actor_for_token
from ..errors import Forbidden, FormsError, ServiceUnavailable
from .auth import bearer_token, source_ip
from .context import catalog, components

bp = Blueprint("health", __name__)

log = logging.getLogger(__name__)
TSA_TIMEOUT = 3.0  # seconds: a probe answers quickly or says which part is slow


@bp.get("/livez")
def livez() -> Response:
    return jsonify({"ok": True})


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    from ..observe.metrics import CONTENT_TYPE, exposition, queue_depth

    if not address_allowed(source_ip(), components().settings.metrics_network_list) and not _administrator():
        raise Forbidden("the metrics are for the monitoring hosts (FORMS_METRICS_NETWORKS) or an administrator's "
                        "token")
    try:
        queue_depth(components().jobs.queue_depth())
    except Exception as err:  # the queue unreachable: the other samples still answer (readyz names it)
        log.warning("the job queue's depth could not be read: %s", err)
    return Response(exposition(), mimetype=None, content_type=CONTENT_TYPE)


@bp.get("/readyz")
@bp.get("/healthz")
def readyz() -> Response:
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
    if not _administrator():
        workers = [{k: v for k, v in w.items() if k != "pid"} for w in workers]
    checks["converter"] = {"ok": any(w["alive"] for w in workers) if workers else True, "workers": workers}
    checks["signer"] = _signer(service)
    checks["tsa"] = _tsa(service.signing.tsa_url)
    checks["jobs"] = _jobs(service)
    failed = sorted(name for name, check in checks.items() if not check["ok"])
    if failed:
        raise ServiceUnavailable(f"not ready: {', '.join(failed)}", details={"ok": False, "checks": checks})
    return jsonify({"ok": True, "checks": checks})


def _administrator() -> bool:
    """The request carries a valid administrator's token (a probe asks for none: no error otherwise)."""
    token = bearer_token()
    if token is None:
        return False
    try:
        return actor_for_token(catalog(), token, now=components().clock.now()).role is Role.ADMIN
    except FormsError:
        return False


def _signer(service: Any) -> dict[str, Any]:
    try:
        service.document_signer.signer_name()  # opens the key (a PKCS#11 token must be present)
        return {"ok": True}
    except FormsError as err:
        return {"ok": False, "error": err.message}


def _jobs(service: Any) -> dict[str, Any]:
    """The job queue answers (Redis, or the SQLite file); how many jobs wait."""
    try:
        return {"ok": True, "queued": service.jobs.queue_depth()}
    except Exception as err:  # redis-py and sqlite3 raise their own errors: the sentence is what counts
        return {"ok": False, "error": f"the job queue did not answer: {err}"}


def _tsa(url: str | None) -> dict[str, Any]:
    """Reachable: it answers HTTP at all (a GET of a TSA's address is usually refused, which is fine)."""
    if not url:
        return {"ok": True, "configured": False}
    try:
        with urllib.request.urlopen(url, timeout=TSA_TIMEOUT) as answer:
            status = answer.status
    except urllib.error.HTTPError as refused:
        status = refused.code  # it answered
    except (urllib.error.URLError, OSError) as err:
        return {"ok": False, "error": f"{url}: {getattr(err, 'reason', err)}"}
    return {"ok": True, "status": status}
