"""What the jobs run against where they run (a web process, or ``jobs run``): the service's
components (LibreOffice started at the first batch where it is not running), the batch workers'
filing of one entry, completion calls, the periodic work."""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..access import Actor, Role
from ..catalog import NewAuditEvent
from ..errors import Conflict
from . import batches, engine, webhooks
from .values import Batch, BatchEntry

if TYPE_CHECKING:
    from ..components import Components
    from .tasks import ServiceJobs

log = logging.getLogger(__name__)
SERVICE = Actor(id="service:jobs", agency="", role=Role.ADMIN)


class JobRuntime:
    def __init__(self, components: Components, jobs: ServiceJobs):
        self.components = components
        self.jobs = jobs

    def now(self) -> datetime:
        return self.components.clock.now()

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.components.settings.jobs_lease_seconds)

    # --- batches ---------------------------------------------------------------------------------

    def work_batch(self, batch_id: str) -> int:
        from ..observe.metrics import batch_entry_ended

        catalog = self.components.require_archive()[1]
        return batches.work(catalog, batch_id, file_entry=self.file_entry, worker=engine.worker_name(),
                            clock=self.now, lease=self.lease, on_finished=self.batch_finished,
                            on_entry=batch_entry_ended)

    def file_entry(self, batch: Batch, entry: BatchEntry, record_id: str) -> str:
        """Produce and file one entry as its submitter, under ``record_id`` — or find it filed."""
        service = self.components  # its converter starts with the first document, in the jobs process
        catalog = service.require_archive()[1]
        actor = batches.actor_of(batch)
        if catalog.get_record(record_id) is not None:
            return record_id  # filed by a worker that stopped before it could say so
        if entry.attempts > 1 and service.archive.take_over(batch.form_id, record_id, actor) is not None:
            return record_id  # stored whole by a worker that stopped before cataloguing it
        # Conflict: another worker filed the same entry first (ours was set aside) — the entry is done.
        with contextlib.suppress(Conflict):
            service.filing.file(actor, batch.form_id, entry.input, record_id=record_id)
        return record_id

    def batch_finished(self, batch: Batch) -> None:
        catalog = self.components.require_archive()[1]
        catalog.audit(NewAuditEvent(actor=SERVICE.id, agency=batch.agency, action="batch.finish",
                                    detail={"batch_id": batch.id}))
        if batch.webhook_url:
            self.jobs.call_webhook(batch.id, 1)

    def recover_batches(self) -> list[str]:
        catalog = self.components.require_archive()[1]
        started = batches.recover(catalog, now=self.now(), lease=self.lease,
                                  start_workers=lambda batch_id, count: self.jobs.start_batch(batch_id, workers=count),
                                  on_finished=self.batch_finished)
        for batch_id in started:
            log.info("batch %s: a worker started again (its entries waited past their lease)", batch_id)
        return started

    def call_webhook(self, batch_id: str, attempt: int) -> webhooks.Delivery:
        catalog = self.components.require_archive()[1]
        found = batches.progress(catalog, batch_id, agency=None, limit=0)  # counted: no entry is sent
        payload = {"event": "batch.finished", "batch_id": batch_id, "state": found.state, "counts": found.counts,
                   "href": f"/api/v1/batches/{batch_id}", "attempt": attempt}
        delivery = webhooks.deliver(found.batch.webhook_url, found.batch.webhook_secret, payload, attempt=attempt,
                                    allow=self.components.settings.outbound_allowed)
        wait = None if delivery.ok else webhooks.next_wait(attempt, self.components.settings.webhook_retry_seconds)
        catalog.audit(NewAuditEvent(actor=SERVICE.id, agency=found.batch.agency, action="batch.webhook", detail={
            "batch_id": batch_id, "attempt": attempt, "status": delivery.status, "error": delivery.error,
            "next_in_seconds": wait}))
        if wait is not None:
            self.jobs.call_webhook.schedule((batch_id, attempt + 1), delay=wait)
        return delivery

    # --- the periodic work -----------------------------------------------------------------------

    def run_periodic(self, job: str) -> Any:
        service = self.components
        if job == "signatures.renew":
            done: Any = self.renew_signatures()
        elif job == "audit.seal":
            done = service.sealer.seal_pending()
        elif job == "query-log.close":
            done = service.close_due_query_months()
        elif job == "reminders.send":
            done = service.send_due_reminders()  # also recovers interrupted incident reports
        else:
            raise ValueError(f"no periodic job {job}")
        if done:  # a line only when the job did something
            log.info("%s: %s", job, done)
        # Each run in the audit log: evidence that the duty ran, and once (one instance took the hour).
        did = len(done) if isinstance(done, list) else (0 if done is None else 1)
        service.require_archive()[1].audit(NewAuditEvent(actor=SERVICE.id, agency="", action="job.run",
                                                         detail={"job": job, "did": did}))
        return done

    def renew_signatures(self) -> list[str]:
        """Records whose newest archive timestamp's certificate expires within
        FORMS_RENEW_WITHIN_DAYS get a fresh one, as a new version (ids of the records renewed)."""
        from ..archive.signatures import renew, timestamps_expiring

        within = self.components.settings.renew_within_days
        if not within:
            return []
        archive, catalog = self.components.archive, self.components.require_archive()[1]
        renewed = []
        for record, version, _ in list(timestamps_expiring(archive, catalog, within_days=within, now=self.now(),
                                                           actor=SERVICE)):
            renew(archive, self.components.document_signer, record, version, SERVICE)
            renewed.append(record.id)
        return renewed
