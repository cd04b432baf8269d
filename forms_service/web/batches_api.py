"""The JSON API of batches (on the ``/api/v1`` blueprint): many inputs of one form in one request,
produced by the background workers of every instance; progress per entry, cancel, and a signed
completion call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, url_for
from flask.typing import ResponseReturnValue

from ..access import Actor
from ..catalog import NewAuditEvent
from ..errors import InputError
from ..forms import get_form
from ..jobs import batches, webhooks
from ..jobs.values import BatchEntry
from . import responses
from .api import bp
from .auth import require_actor, source_ip
from .body import int_arg, json_object
from .context import catalog, components

# Filed on their own, never in a batch: an incident report goes to the provider at once.
NOT_IN_BATCHES = {"incident-report"}


@bp.post("/batches")
def create_batch() -> ResponseReturnValue:
    """Many inputs of one form: each checked now (a bad one is refused with its field), the rest
    produced and filed in the background; 202 with where to follow it."""
    actor = require_actor()
    body = json_object()
    form_id = body.get("form")
    if not isinstance(form_id, str) or not form_id:
        raise InputError("name the form of the batch: \"form\": \"<form id>\"", details={"field": "form"})
    spec = get_form(form_id)
    if spec.form_id in NOT_IN_BATCHES:
        raise InputError(f"{spec.form_id} is filed on its own (POST /api/v1/forms/{spec.form_id}/records)",
                         details={"field": "form"})
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise InputError("\"inputs\" must be a list of form inputs", details={"field": "inputs"})
    webhook = body.get("webhook") or ""
    if not isinstance(webhook, str):
        raise InputError("\"webhook\" must be a URL", details={"field": "webhook"})
    service = components()
    if webhook:
        webhooks.check_url(webhook, service.settings.outbound_allowed)
    batch, entries = batches.submit(catalog(), actor, spec.form_id, inputs,
                                    check=lambda data: _check(actor, spec.form_id, data),
                                    now=service.clock.now(), webhook_url=webhook)
    catalog().audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="batch.create", source_ip=source_ip(),
                                  detail={"batch_id": batch.id, "form_id": spec.form_id, "entries": len(entries),
                                          "refused": sum(1 for e in entries if e.state == "refused")}))
    queued = sum(1 for e in entries if e.state == "queued")
    if queued:
        service.jobs.start_batch(batch.id, workers=min(queued, batches.WORKERS_PER_BATCH))
    else:
        catalog().finish_batch(batch.id, now=service.clock.now())
    found = batches.progress(catalog(), batch.id, agency=None)
    # the webhook's secret told once: the receiver checks signatures with it
    answer = _batch_json(found, now=service.clock.now(), secret=batch.webhook_secret or None)
    response = jsonify(answer)
    response.status_code = 202
    response.headers["Location"] = answer["links"]["self"]
    return response


def _check(actor: Actor, form_id: str, data: Any) -> None:
    components().filing.check(actor, form_id, data)


# The most entries one answer holds when ``limit`` is given: a window to follow a large batch by.
MAX_ENTRIES_PER_ANSWER = 1000


@bp.get("/batches/<batch_id>")
def get_batch(batch_id: str) -> ResponseReturnValue:
    """The batch with every entry, or with ``?from=N&limit=M`` the entries numbered from N on, at
    most M of them (and a ``next`` link while there are more): a 10,000-entry batch is followed
    window by window instead of whole at every look."""
    actor = require_actor()
    from_number = int_arg("from", 1, 1, 10**9)
    limit = int_arg("limit", None, 1, MAX_ENTRIES_PER_ANSWER)
    found = batches.progress(catalog(), batch_id, agency=actor.scope, from_number=from_number, limit=limit)
    return jsonify(_batch_json(found, now=components().clock.now(), window=limit is not None))


@bp.post("/batches/<batch_id>/cancel")
def cancel_batch(batch_id: str) -> ResponseReturnValue:
    """Cancel the entries still waiting; those being produced finish."""
    actor = require_actor()
    now = components().clock.now()
    found = batches.cancel(catalog(), actor, batch_id, audit=catalog().audit, now=now, source_ip=source_ip())
    return jsonify(_batch_json(found, now=now))


def _batch_json(found: batches.Progress, *, now: datetime, window: bool = False,
                secret: str | None = None) -> dict[str, Any]:
    batch = found.batch
    total = found.total
    links = {"self": url_for("api.get_batch", batch_id=batch.id),
             "cancel": url_for("api.cancel_batch", batch_id=batch.id)}
    if window and found.entries and found.entries[-1].number < total:
        start: dict[str, Any] = {"from": found.entries[-1].number + 1}  # a keyword Python reserves
        links["next"] = url_for("api.get_batch", batch_id=batch.id, limit=len(found.entries), **start)
    return responses.BatchAnswer(
        id=batch.id, form=batch.form_id, state=found.state, created_at=batch.created_at,
        cancelled_at=batch.cancelled_at, finished_at=batch.finished_at, total=total, counts=found.counts,
        progress=round(found.ended / total, 4) if total else 1.0, paused=found.paused(now),
        webhook=batch.webhook_url or None, webhook_secret=secret, entries=[_entry(e) for e in found.entries],
        links=responses.BatchLinks.model_validate(links),
    ).body()


def _entry(entry: BatchEntry) -> responses.BatchEntryAnswer:
    links = None
    if entry.record_id:
        links = responses.EntryLinks(record=url_for("api.get_record", record_id=entry.record_id),
                                     pdf=url_for("api.get_pdf", record_id=entry.record_id, version=1))
    return responses.BatchEntryAnswer(number=entry.number, state=entry.state, record_id=entry.record_id or None,
                                      links=links, problem=entry.problem or None)
