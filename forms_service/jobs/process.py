"""Where an instance's jobs run.

Under ``serve`` (and the packaged gunicorn configuration) one of the instance's web processes runs
them, on its warm components — no process of its own to start or to fit in memory: each web
process tries a lock in the data directory's run folder, the one holding it runs a huey consumer
of ``FORMS_JOBS_WORKERS`` threads, and when it ends (or dies: the kernel frees the lock) another
takes over within seconds.  ``forms-service jobs run`` runs a consumer in the foreground instead,
for machines that run jobs but serve no web requests.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings import Settings

if TYPE_CHECKING:
    from ..components import Components

log = logging.getLogger(__name__)
TAKE_OVER_SECONDS = 2.0  # how often a web process without the lock tries it


def _report_to_metrics(huey: Any) -> None:
    from huey import signals

    from ..observe.metrics import job_ended, job_started

    @huey.signal(signals.SIGNAL_EXECUTING)
    def _started(signal_name: str, task: Any, *args: Any) -> None:
        job_started(task.name)

    @huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)
    def _ended(signal_name: str, task: Any, *args: Any) -> None:
        job_ended(task.name, signal_name)


def _consumer(components: Components) -> Any:
    return components.jobs.huey.create_consumer(
        workers=max(1, components.settings.jobs_workers), worker_type="thread", periodic=True,
        initial_delay=0.05, backoff=1.5, max_delay=1.0, check_worker_health=True)


def _running(settings: Settings, where: str) -> str:
    queue = "Redis" if settings.jobs_url else "the SQLite queue"
    return f"jobs running in {where} {os.getpid()}: {settings.jobs_workers} threads on {queue}"


def run_consumer(settings: Settings) -> None:
    """Run jobs in the foreground until SIGTERM / SIGINT (huey's consumer: SIGINT lets running
    jobs finish)."""
    from ..components import start_components

    # LibreOffice starts when the first batch entry needs it
    components = start_components(settings, with_converter=False, lazy_converter=True)
    try:
        _report_to_metrics(components.jobs.huey)
        consumer = _consumer(components)
        components.jobs.catch_up()
        log.info(_running(settings, "process"))
        consumer.run()
    finally:
        components.close()


class JobsInWebProcess:
    """The instance's consumer, in whichever of its web processes holds the jobs lock."""

    def __init__(self, components: Components, lock_path: Path):
        self.components = components
        self.lock_path = lock_path
        self._lock_file: Any = None
        self._consumer: Any = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._take_when_free, name="jobs-lock", daemon=True)

    def start(self) -> JobsInWebProcess:
        self.lock_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._consumer is not None

    def _take_when_free(self) -> None:
        while not self._stopping.is_set():
            lock_file = open(self.lock_path, "a")  # noqa: SIM115 (held for the life of the consumer)
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock_file.close()
                self._stopping.wait(TAKE_OVER_SECONDS)
                continue
            os.ftruncate(lock_file.fileno(), 0)
            os.write(lock_file.fileno(), str(os.getpid()).encode())  # who holds it, for people and tests
            self._lock_file = lock_file
            self._run()
            return

    def _run(self) -> None:
        huey = self.components.jobs.huey
        _report_to_metrics(huey)
        consumer = _consumer(self.components)
        # huey's Consumer.start() also takes over the process's signal handlers, which belong to
        # gunicorn here: its scheduler and worker threads are started without it (huey 2.5).
        consumer.scheduler.start()
        for _, thread in consumer.worker_threads:
            thread.start()
        self._consumer = consumer
        self.components.jobs.catch_up()
        log.info(_running(self.components.settings, "web process"))

    def stop(self) -> None:
        """Let running jobs finish, then free the lock for another web process."""
        self._stopping.set()
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            consumer.stop(graceful=True)
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None
