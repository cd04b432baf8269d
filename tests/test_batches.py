"""Batches through the API on a real huey queue (the SQLite file of the data directory) run by a
real consumer: per-entry states, refusals named by field, exactly once when a worker stops midway,
cancel, the signed completion call, and periodic jobs claimed once per period."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import hmac
import json
import signal
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from forms_service.access.tokens import create_token
from forms_service.archive.integrity import verify_archive
from forms_service.catalog import CatalogUnavailable, RecordFilter
from forms_service.jobs import batches, engine, webhooks


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def consumer(components, workers: int = 1):
    """The components' jobs run by a huey consumer in this process (as the jobs process does)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    running = components.jobs.huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                                   initial_delay=0.02, backoff=1.2, max_delay=0.2)
    running.start()
    for number, handler in saved.items():  # huey set its own; the test run keeps pytest's
        signal.signal(number, handler)
    try:
        yield running
    finally:
        running.stop(graceful=True)


def wait_finished(client, token: str, href: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = client.get(href, headers=auth(token)).json
        if found["finished_at"]:
            return found
        time.sleep(0.05)
    raise AssertionError(f"the batch did not finish: {found['counts']}")


def test_a_batch_is_produced_entry_by_entry_with_bad_inputs_refused_by_field(client, fake_components, staff_token,
                                                                             example, catalog):
    good = example("annex2-agreement")
    bad = copy.deepcopy(good)
    bad["party"]["code"] = "12345678"  # not a valid 統一編號 / agency code
    answer = client.post("/api/v1/batches", headers=auth(staff_token),
                         json={"form": "annex2-agreement", "inputs": [good, bad, good]})
    assert answer.status_code == 202, answer.json
    href = answer.headers["Location"]
    assert href == f"/api/v1/batches/{answer.json['id']}" and answer.json["state"] == "queued"
    refused = answer.json["entries"][1]
    assert refused["state"] == "refused" and refused["problem"]["field"].startswith("party")
    with consumer(fake_components):
        done = wait_finished(client, staff_token, href)
    assert done["state"] == "finished" and done["progress"] == 1.0
    assert done["counts"] == {"queued": 0, "running": 0, "done": 2, "refused": 1, "failed": 0, "cancelled": 0}
    first, _, third = done["entries"]
    assert first["record_id"] == batches.record_id_for(done["id"], 1) != third["record_id"]
    pdf = client.get(first["links"]["pdf"], headers=auth(staff_token))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert len(catalog.find_records(RecordFilter(agency="379000000A"))) == 2
    actions = [e.action for e in catalog.audit_events()]
    assert actions.count("record.create") == 2 and "batch.create" in actions and "batch.finish" in actions


@pytest.mark.parametrize("body, field", [
    ({"form": "no-such-form", "inputs": [{}]}, "form"),
    ({"form": "incident-report", "inputs": [{}]}, "form"),
    ({"form": "annex2-agreement", "inputs": {}}, "inputs"),
    ({"form": "annex2-agreement", "inputs": []}, "inputs"),
    ({"form": "annex2-agreement", "inputs": [{}], "webhook": "http://example.org/hook"}, "webhook"),
    ({"form": "annex2-agreement", "inputs": [{}], "webhook": "ftp://127.0.0.1/x"}, "webhook"),
])
def test_a_bad_batch_is_a_400_naming_the_field_and_nothing_is_queued(client, staff_token, catalog, body, field):
    answer = client.post("/api/v1/batches", headers=auth(staff_token), json=body)
    assert answer.status_code in (400, 404), answer.json
    error = answer.json["error"]
    assert error.get("field") == field or field in error["message"], error
    assert catalog.unfinished_batches() == []


def test_another_agencys_batch_is_not_found(client, staff_token, catalog, example):
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")]}).headers["Location"]
    other = create_token(catalog, agency="379010000A", role="staff", label="other")
    assert client.get(href, headers=auth(other)).status_code == 404
    assert client.post(href + "/cancel", headers=auth(other)).status_code == 404


def test_a_cancelled_batch_produces_nothing_more(client, fake_components, staff_token, example, catalog):
    inputs = [example("annex2-agreement")] * 3
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": inputs}).headers["Location"]
    cancelled = client.post(href + "/cancel", headers=auth(staff_token))
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert cancelled.json["counts"]["cancelled"] == 3
    with consumer(fake_components):
        time.sleep(0.5)  # its queued jobs run and find nothing to take
    assert catalog.find_records(RecordFilter()) == []
    assert "batch.cancel" in [e.action for e in catalog.audit_events()]


def test_an_entry_whose_worker_stopped_after_storing_it_is_filed_once(client, fake_components, staff_token, example,
                                                                      catalog, monkeypatch):
    """The worker stores the signed PDF and its entry, then stops before the catalog row (here: the
    catalog write fails once).  When the lease passes, a worker takes the entry again and adopts
    what was stored: one record, nothing orphaned in the store."""
    fake_components.settings = dataclasses.replace(fake_components.settings, jobs_lease_seconds=5)
    real_add = catalog.add_record
    failures = []

    def add_record_fails_once(record, version, event):
        if not failures:
            failures.append(record.id)
            raise CatalogUnavailable("cannot write the record: the catalog database failed (test)")
        return real_add(record, version, event)

    monkeypatch.setattr(catalog, "add_record", add_record_fails_once)
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")]}).headers["Location"]
    with consumer(fake_components):
        time.sleep(0.5)
        [entry] = catalog.batch_entries(href.rsplit("/", 1)[1])
        assert entry.state == "running" and entry.attempts == 1  # held, its lease not yet passed
        fake_components.clock.advance(seconds=6)
        fake_components.jobs.recover()
        done = wait_finished(client, staff_token, href)
    [entry] = done["entries"]
    assert entry["state"] == "done" and entry["record_id"] == failures[0]
    assert [r.id for r in catalog.find_records(RecordFilter())] == failures
    [created] = [e for e in catalog.audit_events() if e.action == "record.create"]
    assert created.detail["adopted"].endswith("/v1.json")
    report = verify_archive(catalog, fake_components.store)
    assert report.ok and report.checked == 1, report


class Receiver(BaseHTTPRequestHandler):
    calls: list[tuple[dict, bytes]] = []
    answers: list[int] = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.calls.append((dict(self.headers), body))
        self.send_response(Receiver.answers.pop(0) if Receiver.answers else 204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_the_completion_call_is_signed_and_tried_again_until_it_is_taken(client, fake_components, staff_token,
                                                                         example, catalog, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Receiver.calls, Receiver.answers = [], [503]
    monkeypatch.setattr(webhooks, "next_wait", lambda attempt, first: 0.2 if attempt < 3 else None)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        answer = client.post("/api/v1/batches", headers=auth(staff_token),
                             json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")], "webhook": url})
        secret = answer.json["webhook_secret"]
        with consumer(fake_components):
            wait_finished(client, staff_token, answer.headers["Location"])
            deadline = time.monotonic() + 20
            while len(Receiver.calls) < 2 and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        server.shutdown()
    assert len(Receiver.calls) == 2  # refused (503), then taken (204): no third call
    for headers, body in Receiver.calls:
        expected = "sha256=" + hmac.new(secret.encode(), headers["X-Forms-Timestamp"].encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Forms-Signature"], expected)
    payload = json.loads(Receiver.calls[1][1])
    assert payload["batch_id"] == answer.json["id"] and payload["counts"]["done"] == 1 and payload["attempt"] == 2
    deliveries = [e.detail for e in catalog.audit_events() if e.action == "batch.webhook"]
    assert sorted((d["attempt"], d["status"]) for d in deliveries) == [(1, 503), (2, 204)]
    assert "secret" not in client.get(answer.headers["Location"], headers=auth(staff_token)).json.get("webhook", "")


def test_the_completion_calls_waits_double_and_stop():
    assert [webhooks.next_wait(n, 30) for n in (1, 2, 3)] == [30, 60, 120]
    assert webhooks.next_wait(webhooks.MAX_ATTEMPTS, 30) is None


def test_an_hourly_job_runs_once_per_hour_whatever_the_number_of_schedulers(fake_components, monkeypatch):
    ran = []
    runtime = fake_components.jobs._runtime()
    monkeypatch.setattr(runtime, "run_hourly", lambda job: ran.append(job))
    for _ in range(3):  # three instances' schedulers enqueue the same hour's jobs
        for task in fake_components.jobs.hourly.values():
            task.call_local()
    assert sorted(ran) == sorted(engine_jobs := ["audit.seal", "query-log.close", "reminders.send"]), engine_jobs
    fake_components.clock.advance(hours=1)
    fake_components.jobs.hourly["audit.seal"].call_local()
    assert ran.count("audit.seal") == 2


def test_a_period_is_claimed_once_and_old_claims_are_dropped(fake_components):
    huey = fake_components.jobs.huey
    assert engine.claim_period(huey, "x", "2026-11-30T10") is True
    assert engine.claim_period(huey, "x", "2026-11-30T10") is False
    assert engine.claim_period(huey, "x", "2026-11-30T12") is True
    assert engine.claim_period(huey, "x", "2026-11-30T10") is True  # dropped two hours on
