"""The jobs process of an instance: a huey consumer with ``FORMS_JOBS_WORKERS`` threads running the
service's jobs against its own components.  ``serve``'s master starts it (``JobsProcess``) and
stops it; ``forms-service jobs run`` runs it in the foreground where jobs run on other machines
than the web.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from ..settings import Settings

log = logging.getLogger(__name__)


def run_consumer(settings: Settings, *, exit_with_parent: bool = False) -> None:
    """Run jobs until SIGTERM / SIGINT (huey's consumer: SIGINT lets running jobs finish)."""
    from huey import signals

    from ..components import start_components
    from ..observe.metrics import job_ended, job_started

    if exit_with_parent:
        _exit_with_parent()
    components = start_components(settings, with_converter=False)  # LibreOffice at the first batch
    try:
        jobs = components.jobs

        @jobs.huey.signal(signals.SIGNAL_EXECUTING)
        def _started(signal_name: str, task: Any, *args: Any) -> None:
            job_started(task.name)

        @jobs.huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
        def _ended(signal_name: str, task: Any, *args: Any) -> None:
            job_ended(task.name, signal_name)

        consumer = jobs.huey.create_consumer(workers=max(1, settings.jobs_workers), worker_type="thread",
                                             periodic=True, initial_delay=0.05, backoff=1.5, max_delay=1.0,
                                             check_worker_health=True)
        jobs.catch_up()
        log.info("jobs process %d ready: %d workers on %s", os.getpid(), settings.jobs_workers,
                 "Redis" if settings.jobs_url else "the SQLite queue")
        consumer.run()
    finally:
        components.close()


def _exit_with_parent() -> None:
    """A jobs process whose master is gone (killed with its machine) stops at once, as the machine
    would: the entries it held are taken over when their lease passes."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class JobsProcess:
    """The jobs process, owned by gunicorn's master: started, restarted if it dies, stopped."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._supervise, name="jobs-process", daemon=True)

    def start(self) -> JobsProcess:
        self._spawn()
        self._watcher.start()
        return self

    def _spawn(self) -> None:
        self._process = subprocess.Popen([sys.executable, "-m", "forms_service.jobs", "--exit-with-parent"],
                                         env=os.environ.copy())

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            process = self._process
            if process is not None and process.poll() is not None:
                if self._stopping.is_set():
                    return
                log.error("the jobs process %d stopped (exit %s); starting it again", process.pid, process.returncode)
                time.sleep(1)
                self._spawn()
            self._stopping.wait(1)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def stop(self, timeout: float = 20) -> None:
        self._stopping.set()
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)  # let running jobs finish
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
