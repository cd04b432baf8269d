"""A background thread closing months of query events once ``FORMS_QUERY_LOG_CLOSE_DAYS`` have passed
since they ended, hourly (as the audit log's days are sealed); failures are logged and retried."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..catalog import QueryMonth

log = logging.getLogger(__name__)


class MonthCloser:
    def __init__(self, close_due: Callable[[], list[QueryMonth]], *, interval: float = 3600.0):
        self.close_due = close_due
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="query-month-closer", daemon=True)

    def start(self) -> MonthCloser:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                for month in self.close_due():
                    log.info("closed the query events of %s / %s / %s: %d events", month.agency, month.system,
                             month.month, month.count)
            except Exception:
                log.exception("closing months of query events failed; retrying in %.0f s", self.interval)
            self._stop.wait(self.interval)
