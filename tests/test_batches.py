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
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from huey import signals

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.tokens import create_token
from forms_service.archive.integrity import rebuild, verify_archive
from forms_service.catalog import CatalogUnavailable, RecordFilter
from forms_service.errors import Conflict
from forms_service.jobs import batches, engine, webhooks
from forms_service.repositories import SqlCatalog
from forms_service.web import create_app
from tests.conftest import signed_form


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def consumer(components, workers: int = 1):
    """The components' jobs run by a huey consumer in this process (as the web process holding the jobs lock does)."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    running = components.jobs.huey.create_consumer(workers=workers, worker_type="thread", periodic=False,
                                                   initial_delay=0.02, backoff=1.2, max_delay=0.2)
    running.start()
    for number, handler in saved.items():  # huey set its own; the test run keeps pytest's
        signal.signal(number, handler)
    try:
        yield running
    finally:
        # The workers finish their job and stop; the scheduler, asleep up to its one-second interval,
        # stops when it wakes — without reading the schedule again — so the test need not wait for it.
        running.stop()
        for _, worker in running.worker_threads:
            worker.join()


def jobs_ended(components) -> list[str]:
    """The names of the components' jobs that end from now on (done or failed), as huey signals them."""
    ended: list[str] = []
    components.jobs.huey.signal(signals.SIGNAL_COMPLETE, signals.SIGNAL_ERROR)(
        lambda signal, task, *args: ended.append(task.name))
    return ended


def wait_paused(catalog, href: str, timeout: float = 30) -> None:
    """Until the batch's worker has met the fault and paused it (before the test moves the clock on)."""
    batch_id = href.rsplit("/", 1)[1]
    deadline = time.monotonic() + timeout
    while catalog.batch(batch_id).paused_until is None:
        assert time.monotonic() < deadline, "the fault was not met"
        time.sleep(0.05)


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


def test_a_batch_is_followed_window_by_window_with_every_entry_counted(client, staff_token, example):
    good, bad = example("annex2-agreement"), {"party": {}}
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": [good, bad, good, bad, good]}).headers["Location"]
    window = client.get(href + "?from=2&limit=2", headers=auth(staff_token)).json
    assert [(e["number"], e["state"]) for e in window["entries"]] == [(2, "refused"), (3, "queued")]
    assert window["total"] == 5 and window["counts"]["queued"] == 3 and window["counts"]["refused"] == 2
    assert window["links"]["next"] == f"{href}?limit=2&from=4"
    last = client.get(window["links"]["next"], headers=auth(staff_token)).json
    assert [e["number"] for e in last["entries"]] == [4, 5] and "next" not in last["links"]
    assert len(client.get(href, headers=auth(staff_token)).json["entries"]) == 5  # without limit: every entry


@pytest.mark.parametrize("query, field", [("limit=0", "limit"), ("limit=1001", "limit"), ("from=-1", "from"),
                                          ("from=x", "from")])
def test_a_bad_window_is_a_400_naming_the_parameter(client, staff_token, example, query, field):
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")]}).headers["Location"]
    answer = client.get(f"{href}?{query}", headers=auth(staff_token))
    assert answer.status_code == 400 and answer.json["error"]["field"] == field, answer.json


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
    # Its readers and the data provider see it but may not withdraw it: only those who may file for it.
    for agency, role, status in (("379000000A", "clerk", 403), ("379000000A", "auditor", 403),
                                 ("A15000000E", "provider", 403), ("379010000A", "staff", 404)):
        other = create_token(catalog, agency=agency, role=role, label=role)
        assert client.post(href + "/cancel", headers=auth(other)).status_code == status, role
    assert "batch.cancel" not in [e.action for e in catalog.audit_events()]
    cancelled = client.post(href + "/cancel", headers=auth(staff_token))
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert cancelled.json["counts"]["cancelled"] == 3
    with consumer(fake_components):  # its queued jobs run and find nothing to take
        deadline = time.monotonic() + 30
        while fake_components.jobs.queue_depth() and time.monotonic() < deadline:
            time.sleep(0.05)
    # (the consumer's stop waited for the job in hand)
    assert fake_components.jobs.queue_depth() == 0
    assert catalog.find_records(RecordFilter()) == []
    assert "batch.cancel" in [e.action for e in catalog.audit_events()]


@pytest.mark.settings(jobs_lease_seconds=5)
def test_an_entry_whose_worker_stopped_after_storing_it_is_filed_once(client, fake_components, staff_token, example,
                                                                      catalog, monkeypatch):
    """The worker stores the signed PDF and its entry, then stops before the catalog row (here: the
    catalog write fails once).  When the lease passes, a worker takes the entry again and adopts
    what was stored: one record, nothing orphaned in the store."""
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
        wait_paused(catalog, href)
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

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.calls.append((dict(self.headers), body))
        self.send_response(Receiver.answers.pop(0) if Receiver.answers else 204)
        self.end_headers()

    def log_message(self, *args):
        """Quiet: the test reads the calls it received, not the server's request log."""


def test_the_completion_call_is_signed_and_tried_again_until_it_is_taken(fake_components, staff_token, example,
                                                                         catalog, monkeypatch):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    Receiver.calls, Receiver.answers = [], [503]
    monkeypatch.setattr(webhooks, "next_wait", lambda attempt, first: 0.2 if attempt < 3 else None)
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    # a receiver beside the service: allowed by name (address and port), as FORMS_OUTBOUND_ALLOW does
    service = fake_components.sharing(settings=fake_components.settings.replace(
        outbound_allow=f"127.0.0.1:{server.server_address[1]}"))
    client = create_app(service.settings, components=service, test_config={"TESTING": True}).test_client()
    try:
        answer = client.post("/api/v1/batches", headers=auth(staff_token),
                             json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")], "webhook": url})
        secret = answer.json["webhook_secret"]
        with consumer(service):
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
    fake_components.clock.at = datetime(2026, 11, 30, 9, 30, tzinfo=timezone.utc)  # the next hour: the same UTC day
    runtime = fake_components.jobs._runtime()
    monkeypatch.setattr(runtime, "run_periodic", lambda job: ran.append(job))
    for _ in range(3):  # three instances' schedulers enqueue the same hour's jobs
        for task in fake_components.jobs.hourly.values():
            task.call_local()
    assert sorted(ran) == ["audit.seal", "query-log.close", "reminders.send", "signatures.renew"]
    fake_components.clock.advance(hours=1)
    for task in fake_components.jobs.hourly.values():
        task.call_local()
    assert ran.count("audit.seal") == 2 and ran.count("signatures.renew") == 1  # daily: not again this day


def test_a_period_is_claimed_once_and_old_claims_are_dropped(fake_components):
    huey = fake_components.jobs.huey
    ten = datetime(2026, 11, 30, 10, 5, tzinfo=timezone.utc)
    assert engine.claim_period(huey, "x", ten) is True
    assert engine.claim_period(huey, "x", ten + timedelta(minutes=50)) is False  # the same hour
    assert engine.claim_period(huey, "x", ten + timedelta(hours=2)) is True
    assert engine.claim_period(huey, "x", ten) is True  # its claim dropped two hours on
    assert engine.claim_period(huey, "y", ten, engine.DAY) is True
    assert engine.claim_period(huey, "y", ten + timedelta(hours=13), engine.DAY) is False  # the same UTC day


@pytest.mark.parametrize("window", [500, 1], ids=["one-look", "window-of-one"])
def test_render_batch_submits_to_a_running_service_and_downloads_each_pdf(app, fake_components, staff_token,
                                                                          example, runner, tmp_path, window,
                                                                          monkeypatch):
    from forms_service.cli import submit

    monkeypatch.setattr(submit, "WINDOW", window)  # the window follows the first entry not ended yet
    monkeypatch.setattr(submit, "POLL_SECONDS", 0.05)
    from werkzeug.serving import make_server

    source = tmp_path / "items"
    source.mkdir()
    good = example("annex2-agreement")
    (source / "taipei.json").write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    (source / "tainan.json").write_text(json.dumps(good, ensure_ascii=False), encoding="utf-8")
    bad = copy.deepcopy(good)
    bad["party"]["code"] = "12345678"
    (source / "wrong.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    (source / "broken.json").write_text("{not json", encoding="utf-8")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        with consumer(fake_components):
            result = runner("render", "annex2-agreement", "--batch", str(source), "-o", str(tmp_path / "out"),
                            "--submit", f"http://127.0.0.1:{server.server_port}",
                            env={"FORMS_API_TOKEN": staff_token})
    finally:
        server.shutdown()
    assert result.exit_code == 2, result.output  # one refused
    assert "4 item(s): 2 ok, 2 refused, 0 failed" in result.output
    assert "wrong: refused: party" in result.output and "broken: refused" in result.output
    assert (tmp_path / "out" / "taipei.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "out" / "tainan.pdf").read_bytes().startswith(b"%PDF")
    assert not list((tmp_path / "out").glob("*.part"))


def test_render_batch_submit_without_a_token_is_refused(runner, tmp_path):
    source = tmp_path / "items.jsonl"
    source.write_text("{}\n")
    result = runner("render", "annex2-agreement", "--batch", str(source), "-o", str(tmp_path / "out"),
                    "--submit", "http://127.0.0.1:9")
    assert result.exit_code == 2 and "FORMS_API_TOKEN" in result.output


def test_two_instances_sealing_the_same_hour_write_one_seal(fake_components, catalog, memory_store):
    """Both instances' schedulers run the hourly seal at once: one takes the hour, one day's seal is
    written once — one object in the store, one catalog entry."""
    from forms_service.catalog import NewAuditEvent

    for n in range(3):
        catalog.audit(NewAuditEvent(actor="test", action="record.read", detail={"n": n}))
    fake_components.clock.advance(days=2)  # those entries' day has ended
    other = fake_components.sharing()  # a second instance on the same queue
    barrier = threading.Barrier(2)

    def seal(jobs) -> None:
        barrier.wait()
        jobs.hourly["audit.seal"].call_local()

    threads = [threading.Thread(target=seal, args=(jobs,)) for jobs in (fake_components.jobs, other.jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seals = catalog.audit_seals()
    assert len(seals) >= 1 and len({s.day for s in seals}) == len(seals)
    assert len([o for o in memory_store.list_versions("audit/") if o.key.endswith(".jsonl")]) == len(seals)
    runs = [e for e in catalog.audit_events() if e.action == "job.run" and e.detail["job"] == "audit.seal"]
    assert len(runs) == 1


@pytest.mark.integration
def test_the_daily_job_renews_archive_timestamps_that_expire_soon(app_components, real_client, catalog, example,
                                                                  tmp_path):
    token = create_token(catalog, agency="379000000A", role="staff", label="renew")
    created = real_client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                               headers=auth(token))
    assert created.status_code == 201, created.json
    record_id = created.json["record_id"]
    quiet = app_components.sharing(settings=dataclasses.replace(
        app_components.settings, data_dir=tmp_path / "queue-1"))  # each "day" a queue of its own
    quiet.jobs.hourly["signatures.renew"].call_local()  # the demo TSA's certificate: 10 years, not within 180 days
    assert len(catalog.get_record(record_id).versions) == 1
    soon = app_components.sharing(settings=dataclasses.replace(
        app_components.settings, renew_within_days=3650, data_dir=tmp_path / "queue-2"))
    soon.jobs.hourly["signatures.renew"].call_local()
    record = catalog.get_record(record_id)
    assert [v.reason for v in record.versions][-1] == "archive timestamp renewed" and len(record.versions) == 2
    runs = [e.detail for e in catalog.audit_events() if e.action == "job.run" and e.detail["job"] == "signatures.renew"]
    assert sorted(r["did"] for r in runs) == [0, 1]


@pytest.mark.settings(jobs_lease_seconds=5)
def test_a_pdf_left_without_its_entry_is_set_aside_and_the_record_filed_anew(client, fake_components, staff_token,
                                                                            example, catalog, memory_store,
                                                                            monkeypatch, tmp_path):
    """The worker stores the PDF and stops before the entry beside it (here: that put fails once).
    The worker taking over files the record anew and records the lone PDF as set aside, so
    ``archive verify`` finds nothing orphaned and says what it found."""
    from storage import StorageError

    real_put = memory_store.put
    failed = []

    def put_fails_once_for_the_entry(key, data, **options):
        if key.startswith("records/") and key.endswith(".json") and not failed:
            failed.append(key)
            raise StorageError("the store went away (test)")
        return real_put(key, data, **options)

    monkeypatch.setattr(memory_store, "put", put_fails_once_for_the_entry)
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")]}).headers["Location"]
    with consumer(fake_components):
        wait_paused(catalog, href)
        fake_components.clock.advance(seconds=6)
        fake_components.jobs.recover()
        done = wait_finished(client, staff_token, href)
    [entry] = done["entries"]
    assert entry["state"] == "done" and failed
    [record] = catalog.find_records(RecordFilter())
    assert record.id == entry["record_id"]
    [aside] = catalog.set_aside_objects()
    assert aside.record_id == record.id and aside.key.endswith("/v1.pdf")
    assert aside.version_id != record.versions[0].object_version
    assert "record.set-aside" in [e.action for e in catalog.audit_events()]
    report = verify_archive(catalog, memory_store)
    assert report.ok and report.set_aside == 1 and report.checked == 1, report
    # the store alone says what was set aside: a catalog rebuilt from it finds no orphan either
    rebuilt = SqlCatalog(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}")
    rebuilt.create_schema()
    assert (rebuild(rebuilt, memory_store, LOCAL_OPERATOR).set_aside, len(rebuilt.all_versions())) == (1, 1)
    assert [(a.key, a.version_id, a.record_id) for a in rebuilt.set_aside_objects()] == \
        [(aside.key, aside.version_id, aside.record_id)]
    report = verify_archive(rebuilt, memory_store)
    assert report.ok and report.set_aside == 1 and report.checked == 1, report


def test_a_filing_that_lost_the_race_is_set_aside_and_a_rebuilt_catalog_knows_it(fake_components, catalog,
                                                                                   memory_store, example, tmp_path):
    """Two workers file the same batch entry (the first's lease had passed): the second is refused
    and its PDF and entry are set aside — in the catalog and, for a rebuild, in the store."""
    produced = signed_form(fake_components, "annex2-agreement", example("annex2-agreement"))
    first = fake_components.archive.submit(produced, LOCAL_OPERATOR, record_id="rec_" + "1" * 32)
    again = signed_form(fake_components, "annex2-agreement", example("annex2-agreement"))
    with pytest.raises(Conflict, match="filed by another worker first"):
        fake_components.archive.submit(again, LOCAL_OPERATOR, record_id=first.record_id)
    assert len(catalog.set_aside_objects()) == 2
    assert verify_archive(catalog, memory_store).ok
    rebuilt = SqlCatalog(f"sqlite:///{tmp_path / 'rebuilt.sqlite3'}")
    rebuilt.create_schema()
    report = rebuild(rebuilt, memory_store, LOCAL_OPERATOR)
    assert (report.records, report.versions, report.set_aside, report.skipped) == (1, 1, 2, [])
    [version] = rebuilt.all_versions()
    assert (version.object_version, version.sha256) == (first.object_version, produced.sha256)
    checked = verify_archive(rebuilt, memory_store)
    assert checked.ok and checked.set_aside == 2, checked


@pytest.mark.settings(jobs_lease_seconds=5)
def test_a_fault_pauses_the_batch_instead_of_spending_every_entry_on_it(client, fake_components, staff_token,
                                                                       example, catalog, memory_store, monkeypatch):
    """The store is down: the first entry fails to be stored, the batch pauses for a lease's time
    and its three workers stop, so the other entries are not tried against the same fault; the
    submitter sees why; once the pause is over the batch goes on."""
    from storage import StorageError

    real_put = memory_store.put
    down = [True]

    def put(key, data, **options):
        if down[0] and key.startswith("records/"):
            raise StorageError("the store is down (test)")
        return real_put(key, data, **options)

    monkeypatch.setattr(memory_store, "put", put)
    inputs = [example("annex2-agreement")] * 3
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": inputs}).headers["Location"]
    batch_id = href.rsplit("/", 1)[1]
    ended = jobs_ended(fake_components)
    with consumer(fake_components):
        wait_paused(catalog, href)
        deadline = time.monotonic() + 10
        while len(ended) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # the batch's other two worker jobs run and find it paused
        assert ended == ["batch.work"] * 3, ended
        states = [(e.state, e.attempts) for e in catalog.batch_entries(batch_id)]
        assert states == [("running", 1), ("queued", 0), ("queued", 0)], states
        paused = client.get(href, headers=auth(staff_token)).json["paused"]
        assert paused["code"] == "storage_unavailable" and "the store is down" in paused["message"], paused
        started = []
        assert batches.recover(catalog, now=fake_components.clock.now() + timedelta(seconds=4),
                               lease=timedelta(seconds=5), start_workers=lambda *a: started.append(a),
                               on_finished=lambda batch: None) == []  # not while paused
        down[0] = False
        fake_components.clock.advance(seconds=6)
        fake_components.jobs.recover()
        done = wait_finished(client, staff_token, href)
    assert done["counts"]["done"] == 3 and done["paused"] is None
    assert len(catalog.find_records(RecordFilter())) == 3
    report = verify_archive(catalog, memory_store)
    assert report.ok, report


# --- the pages ------------------------------------------------------------------------------------


def _sign_in(client, catalog, username: str, agency: str, role: str) -> None:
    from forms_service.access.users import create_user
    from tests.test_web_pages import PASSWORD, sign_in

    create_user(catalog, username=username, password=PASSWORD, agency=agency, role=role)
    assert sign_in(client, username).status_code == 302


def test_the_batch_pages_show_each_entry_s_outcome_to_its_agency_only(client, app, fake_components, staff_token,
                                                                      example, catalog):
    good = example("annex2-agreement")
    bad = copy.deepcopy(good)
    bad["party"]["code"] = "12345678"
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": [good, bad]}).headers["Location"]
    batch_id = href.rsplit("/", 1)[1]
    with consumer(fake_components):
        wait_finished(client, staff_token, href)
    [record] = catalog.find_records(RecordFilter())

    _sign_in(client, catalog, "sara", "379000000A", "staff")
    listed = client.get("/batches").data.decode()
    assert f"/batches/{batch_id}" in listed and "1／2 筆已歸檔" in listed and "已完成" in listed
    page = client.get(f"/batches/{batch_id}").data.decode()
    assert "第 2 筆" in page and "party.code" in page and "輸入有誤" in page
    assert f'href="/records/{record.id}"' in page
    assert "取消尚未製作之項目" not in page  # finished: nothing left to cancel

    other = app.test_client()
    _sign_in(other, catalog, "bob", "387000000A", "clerk")
    assert batch_id not in other.get("/batches").data.decode()
    assert other.get(f"/batches/{batch_id}").status_code == 404


def test_staff_cancel_a_batch_on_its_page_and_a_clerk_may_not(client, app, staff_token, example, catalog):
    from tests.test_web_pages import csrf

    inputs = [example("annex2-agreement")] * 3
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": inputs}).headers["Location"]
    batch_id = href.rsplit("/", 1)[1]
    clerk = app.test_client()
    _sign_in(clerk, catalog, "alice", "379000000A", "clerk")
    assert "取消尚未製作之項目" not in clerk.get(f"/batches/{batch_id}").data.decode()
    token = csrf(clerk, f"/batches/{batch_id}")
    assert clerk.post(f"/batches/{batch_id}/cancel", data={"csrf": token}).status_code == 403

    _sign_in(client, catalog, "sara", "379000000A", "staff")
    token = csrf(client, f"/batches/{batch_id}")
    assert client.post(f"/batches/{batch_id}/cancel", data={}).status_code == 400  # no CSRF token
    answer = client.post(f"/batches/{batch_id}/cancel", data={"csrf": token})
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/batches/{batch_id}")
    page = client.get(f"/batches/{batch_id}").data.decode()
    assert "已取消 3 筆" in page and "取消尚未製作之項目" not in page
    assert [e.detail["cancelled"] for e in catalog.audit_events() if e.action == "batch.cancel"] == [3]


def test_a_paused_batch_says_why_and_until_when_on_its_page(client, fake_components, staff_token, example, catalog):
    href = client.post("/api/v1/batches", headers=auth(staff_token),
                       json={"form": "annex2-agreement", "inputs": [example("annex2-agreement")]}).headers["Location"]
    batch_id = href.rsplit("/", 1)[1]
    until = fake_components.clock.now() + timedelta(minutes=5)
    catalog.pause_batch(batch_id, until=until, because={"code": "storage_unavailable",
                                                        "message": "the object store is not reachable"})
    _sign_in(client, catalog, "sara", "379000000A", "staff")
    page = client.get(f"/batches/{batch_id}").data.decode()
    taipei = until.astimezone(timezone(timedelta(hours=8)))
    assert "暫停中" in page and "the object store is not reachable" in page and taipei.strftime("%H:%M") in page
