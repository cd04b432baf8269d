"""The service's jobs, registered by name on one huey instance — the same in the processes that
enqueue them and the one that runs them (a web process holding the jobs lock, or ``jobs run``).

Periodic jobs are enqueued by every instance's scheduler; each takes its period's claim first
(``engine.claim_period``), so the audit seal, the month closer and the digests run once an hour and
the renewal of archive timestamps once a day across all instances, and on start-up once (catching
up a stopped period) unless another did.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from huey import Huey, crontab

from . import engine

if TYPE_CHECKING:
    from .runtime import JobRuntime

# job name → its crontab minute; each runs once an hour across instances.
HOURLY = {"audit.seal": "2", "query-log.close": "4", "reminders.send": "6"}
# job name → (crontab hour, minute), UTC; each runs once a day across instances.
DAILY = {"signatures.renew": ("18", "30")}  # 02:30 in Taipei, when the service is quiet


class ServiceJobs:
    """Enqueue the service's jobs; where they are run, ``runtime`` runs them."""

    def __init__(self, huey: Huey, runtime: Callable[[], JobRuntime]):
        self.huey = huey
        self._runtime = runtime

        @huey.task(name="batch.work")
        def work_batch(batch_id: str) -> None:
            runtime().work_batch(batch_id)

        @huey.task(name="batch.webhook")
        def call_webhook(batch_id: str, attempt: int) -> None:
            runtime().call_webhook(batch_id, attempt)

        @huey.periodic_task(crontab(minute="*"), name="batches.recover")
        def recover_batches() -> None:
            runtime().recover_batches()

        hourly: dict[str, Any] = {}
        for job, minute in HOURLY.items():
            hourly[job] = huey.periodic_task(crontab(minute=minute), name=job)(self._once(job, engine.HOUR))
        for job, (hour, minute) in DAILY.items():
            hourly[job] = huey.periodic_task(crontab(hour=hour, minute=minute), name=job)(self._once(job, engine.DAY))

        self.work_batch = work_batch
        self.call_webhook = call_webhook
        self.recover = recover_batches
        self.hourly = hourly

    def _once(self, job: str, period: timedelta) -> Callable[[], None]:
        def run() -> None:
            runtime = self._runtime()
            if engine.claim_period(self.huey, job, runtime.now(), period):
                runtime.run_periodic(job)
        run.__name__ = job.replace(".", "_")
        return run

    def start_batch(self, batch_id: str, *, workers: int) -> None:
        """Jobs for ``workers`` workers on the batch: they share its entries, on any instance."""
        for _ in range(max(1, workers)):
            self.work_batch(batch_id)

    def catch_up(self) -> None:
        """At start: the periodic jobs now, once per period across instances (the claim)."""
        for task in self.hourly.values():
            task()
        self.recover()

    def queue_depth(self) -> int:
        return int(self.huey.pending_count())
