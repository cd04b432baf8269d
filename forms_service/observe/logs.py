"""Log lines as JSON objects, one per line, for log collectors (``FORMS_LOG_FORMAT=json``): the
service's own lines and gunicorn's access lines, each with the request's id (``X-Request-ID``) when
it was written while serving one — the same id the audit entries carry.  (What a console shows by
default: ``console.py``.)"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

from ..audit import request_ids


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "") or request_ids.current.get()
        if request_id:
            line["request_id"] = request_id
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        for key in ("method", "path", "status", "ms", "bytes", "remote"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        return json.dumps(line, ensure_ascii=False)


def use_json_logs() -> None:
    """Every log line of this process as JSON on standard error."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


class JsonAccessLogger(GunicornLogger):
    """gunicorn's logger with JSON lines: access lines name the request's id (from the response's
    ``X-Request-ID``, which the service always sets)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        if not self.access_log_enabled:
            return
        headers = {name.lower(): value for name, value in (resp.headers or [])}
        status = str(resp.status).split(" ", 1)[0]
        self.access_log.info("request", extra={
            "request_id": headers.get("x-request-id", ""), "method": req.method, "path": req.path,
            "status": int(status) if status.isdigit() else status,
            "ms": round(request_time.total_seconds() * 1000, 1), "bytes": getattr(resp, "sent", None),
            "remote": environ.get("REMOTE_ADDR", ""),
        })
