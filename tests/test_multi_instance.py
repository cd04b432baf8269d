"""Several instances, one service: a private PostgreSQL, one SeaweedFS S3 server, one Redis (the job
queue), two ``forms-service serve`` instances started at the same instant, and Debian's haproxy in
front of them.

- Started together on a new database, bucket and queue, five times: both come up every time, and
  each periodic job ran once in its period (one ``job.run`` audit entry), not once per instance.
- Through haproxy: a sign-in on one instance holds on the other; a batch of 200 附件2 is shared by
  the jobs of both; one instance is SIGKILLed midway (with its processes, as when its
  machine dies) and every entry is still filed exactly once; ``archive verify`` and ``audit verify``
  are clean from either instance's configuration.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text, update

from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.jobs.batches import record_id_for
from forms_service.repositories import SqlCatalog
from signing.demo_pki import DemoPkiServer, ensure_demo_pki
from storage.seaweed import EmbeddedSeaweedFS, free_port
from tests.agency_keys import software_key_issuer
from tests.conftest import descendants, load_example

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

PASSWORD = "correct horse battery"
ENTRIES = 200
PERIODIC_JOBS = {"audit.seal": "%Y-%m-%dT%H", "query-log.close": "%Y-%m-%dT%H", "reminders.send": "%Y-%m-%dT%H",
                 "signatures.renew": "%Y-%m-%d"}  # each job's period (UTC), as the claims count them


@dataclass
class Shared:
    """What the instances share: database server, S3 server, Redis, keys."""

    postgres: str
    store: EmbeddedSeaweedFS
    redis: subprocess.Popen
    redis_url: str
    env: dict[str, str]
    pki: Path  # the demo PKI's directory: its issuing CA issues the agency's key


def _wait_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {port}")


@pytest.fixture(scope="module")
def shared(tmp_path_factory, postgres_server):
    if not (shutil.which("haproxy") or Path("/usr/sbin/haproxy").exists()) or not shutil.which("redis-server"):
        pytest.fail("haproxy and redis-server are needed (./dev installs them)")
    base = tmp_path_factory.mktemp("multi")
    store = EmbeddedSeaweedFS(base / "s3", bucket="unused").start()
    redis_port, redis_password = free_port(), secrets.token_hex(12)
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no", "--requirepass", redis_password, "--databases", "16"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    pki_files = ensure_demo_pki(base / "pki")
    pki = DemoPkiServer(pki_files).start()
    password_file = base / "p12-password"
    password_file.write_bytes(pki_files.password)
    creds = store.credentials
    env = {
        "FORMS_DATABASE_URL": "", "FORMS_S3_ENDPOINT": store.endpoint, "FORMS_S3_ACCESS_KEY": creds.access_key,
        "FORMS_S3_SECRET_KEY": creds.secret_key, "FORMS_RETENTION_MODE": "GOVERNANCE",
        "FORMS_SIGNER_PKCS12": str(pki_files.signer_p12), "FORMS_SIGNER_PKCS12_PASSWORD_FILE": str(password_file),
        "FORMS_PROVIDER_PKCS12": str(pki_files.provider_p12),
        "FORMS_PROVIDER_PKCS12_PASSWORD_FILE": str(password_file), "FORMS_TRUST_ROOTS": str(pki_files.root_pem),
        "FORMS_TSA_URL": pki.tsa_url, "FORMS_SECRET_KEY": secrets.token_urlsafe(32),
        "FORMS_WEB_WORKERS": "1", "FORMS_CONVERTER_WORKERS": "1", "FORMS_JOBS_WORKERS": "1",
        "FORMS_JOBS_LEASE_SECONDS": "15",
    }
    try:
        _wait_port(redis_port)
        yield Shared(postgres_server, store, redis, f"redis://:{redis_password}@127.0.0.1:{redis_port}", env,
                     pki_files.directory)
    finally:
        if redis.poll() is None:
            redis.terminate()
            redis.wait(10)
        pki.stop()
        store.stop()


class Instance:
    """One ``forms-service serve``, in its own session so it can be killed whole."""

    def __init__(self, name: str, base: Path, env: dict[str, str]):
        self.name = name
        self.port = free_port()
        self.data_dir = base / name
        self.env = {**os.environ, **env, "FORMS_DATA_DIR": str(self.data_dir), "FORMS_PORT": str(self.port)}
        base.mkdir(parents=True, exist_ok=True)
        self.log = base / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.family: list[int] = []

    def start(self) -> Instance:
        with self.log.open("w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve"], env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, (
                f"instance {self.name} stopped (exit {self.process.returncode}):\n" + self.log.read_text()[-4000:])
            with contextlib.suppress(OSError, urllib.error.URLError), \
                    urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=5) as answer:
                if answer.status == 200:
                    self.family = descendants(self.process.pid)
                    return
            time.sleep(0.3)
        raise AssertionError(f"instance {self.name} not ready:\n" + self.log.read_text()[-4000:])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reap()

    def kill(self) -> None:
        """SIGKILL the instance's whole session, as when its machine dies."""
        self.family = sorted(set(self.family) | set(descendants(self.process.pid)))
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._reap()

    def _reap(self) -> None:
        for pid in self.family:  # LibreOffice may run in sessions of its own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _new_database(postgres: str, name: str) -> str:
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres.rsplit("/", 1)[0] + f"/{name}"


def _job_runs(database_url: str) -> Counter:
    """How often each job ran in each of its periods: (job, period) → runs."""
    catalog = SqlCatalog(database_url)
    try:
        return Counter((e.detail["job"], e.at.astimezone(timezone.utc).strftime(PERIODIC_JOBS[e.detail["job"]]))
                       for e in catalog.audit_events(limit=10_000) if e.action == "job.run")
    finally:
        catalog.close()


def _log_begun_yesterday(database_url: str) -> date:
    """A catalog whose audit log began yesterday (Taipei): one entry, moved back a day with its hash
    and the chain's head made again — so the instances have a finished day to seal."""
    from forms_service.audit.chain import GENESIS, row_hash
    from forms_service.catalog import NewAuditEvent
    from forms_service.catalog.models import AuditEventRow, AuditHeadRow
    from forms_service.taiwan import TAIPEI

    catalog = SqlCatalog(database_url)
    try:
        catalog.create_schema()
        catalog.audit(NewAuditEvent(actor="test", action="record.read", detail={"day": "yesterday"}))
        with catalog.engine.begin() as connection:
            row = connection.execute(select(AuditEventRow)).one()
            moved = row._mapping["at"] - timedelta(days=1)
            yesterday = moved.astimezone(TAIPEI).date()
            entry = SimpleNamespace(**{**row._mapping, "at": moved})
            digest = row_hash(GENESIS, entry)
            connection.execute(update(AuditEventRow).where(AuditEventRow.id == row.id).values(at=moved, hash=digest))
            connection.execute(update(AuditHeadRow).values(hash=digest))
        assert catalog.verify_audit_chain()[1] == ""
        return yesterday
    finally:
        catalog.close()


def _start_pair(shared: Shared, base: Path, trial: int) -> tuple[list[Instance], str]:
    database = _new_database(shared.postgres, f"multi_{trial}_{secrets.token_hex(4)}")
    _log_begun_yesterday(database)
    env = {**shared.env, "FORMS_DATABASE_URL": database, "FORMS_S3_BUCKET": f"multi-{trial}",
           "FORMS_JOBS_URL": f"{shared.redis_url}/{trial}"}
    pair = [Instance(name, base / f"trial-{trial}", env) for name in ("a", "b")]
    for instance in pair:  # the same instant, as far as two Popen calls allow
        instance.start()
    return pair, database


def test_two_instances_share_the_work_through_haproxy(shared, tmp_path):
    # --- five starts of two instances at the same instant on a new database, bucket and queue ---
    pair: list[Instance] = []
    for trial in range(1, 6):
        pair, database = _start_pair(shared, tmp_path, trial)
        try:
            for instance in pair:
                instance.wait_ready()
            deadline = time.monotonic() + 60
            while {job for job, _ in _job_runs(database)} != set(PERIODIC_JOBS) and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(2)  # a second run, had one been let through, would be there by now
            runs = _job_runs(database)
            assert {job for job, _ in runs} == set(PERIODIC_JOBS), f"trial {trial}: {runs}"
            assert set(runs.values()) == {1}, f"trial {trial}: a job ran twice in one period: {runs}"
            # yesterday sealed once, by one of the two: one catalog entry, one object in the store
            catalog = SqlCatalog(database)
            try:
                [seal] = catalog.audit_seals()
            finally:
                catalog.close()
            stored = list(_store(shared, f"multi-{trial}").list_versions("audit/segments/"))
            segments = [(o.key, o.version_id) for o in stored if o.key.endswith(".jsonl")]
            assert segments == [(seal.object_key, seal.object_version)], trial
            assert [o.key for o in stored if o.key.endswith(".p7s")] == [seal.object_key + ".p7s"], trial  # signed once
        finally:
            if trial < 5:
                for instance in pair:
                    instance.stop()
    a, b = pair
    haproxy_port = free_port()
    config = tmp_path / "haproxy.cfg"
    config.write_text(f"""
global
    maxconn 256
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    retries 3
    option redispatch
frontend service
    bind 127.0.0.1:{haproxy_port}
    default_backend instances
backend instances
    balance roundrobin
    option httpchk GET /livez
    http-response set-header X-Served-By %s
    server a 127.0.0.1:{a.port} check inter 300ms fall 2 rise 2
    server b 127.0.0.1:{b.port} check inter 300ms fall 2 rise 2
""")
    haproxy = subprocess.Popen([shutil.which("haproxy") or "/usr/sbin/haproxy", "-f", str(config), "-db"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    front = f"http://127.0.0.1:{haproxy_port}"
    try:
        _wait_port(haproxy_port)
        time.sleep(1)  # both servers checked up
        catalog = SqlCatalog(database)
        try:
            create_user(catalog, username="clerk", password=PASSWORD, agency="379000000A", role="clerk")
            token = create_token(catalog, agency="379000000A", role="staff", label="multi")
        finally:
            catalog.close()
        # The agency's 機關憑證 registered once, for both instances (not a demo: no card is issued).
        key = software_key_issuer(shared.pki, tmp_path)("379000000A", "臺北市政府財政局")
        added = subprocess.run([sys.executable, "-m", "forms_service.cli", "signers", "add", "--party", "agency",
                                "--agency", "379000000A", "--agency-name", "臺北市政府財政局", "--pkcs12", key["path"],
                                "--pin-file", key["secret_source"].removeprefix("file:")],
                               env=a.env, capture_output=True, text=True, timeout=120)
        assert added.returncode == 0, added.stdout + added.stderr

        # --- a sign-in on one instance holds on the other ---
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with browser.open(f"{front}/login") as page:
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.read().decode())[1]
        form = urllib.parse.urlencode({"csrf": csrf, "username": "clerk", "password": PASSWORD}).encode()
        with browser.open(f"{front}/login", data=form) as signed_in:
            assert "/login" not in signed_in.url
        served = Counter()
        for _ in range(8):
            with browser.open(f"{front}/records") as page:
                assert page.status == 200 and "/login" not in page.url and 'action="/logout"' in page.read().decode()
                served[page.headers["X-Served-By"]] += 1
        assert set(served) == {"a", "b"}, served

        # --- a batch of 200 附件2 run by the jobs of both instances; one instance killed midway ---
        def call(method: str, path: str, body: dict | None = None) -> dict:
            request = urllib.request.Request(front + path, method=method, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                data=json.dumps(body).encode() if body is not None else None)
            with urllib.request.urlopen(request, timeout=60) as answer:
                return json.loads(answer.read())

        processes = {pid: instance.name for instance in (a, b) for pid in descendants(instance.process.pid)}
        example = load_example("annex2-agreement")
        began = time.monotonic()
        batch = call("POST", "/api/v1/batches", {"form": "annex2-agreement", "inputs": [example] * ENTRIES})
        href = batch["links"]["self"]
        deadline = time.monotonic() + 600
        killed = False
        while time.monotonic() < deadline:
            found = call("GET", href)
            if not killed and found["counts"]["done"] >= 30:
                a.kill()
                killed = True
            if found["finished_at"]:
                break
            time.sleep(1)
        assert killed and found["finished_at"], found["counts"]
        assert found["counts"]["done"] == ENTRIES, found["counts"]
        assert [e["record_id"] for e in found["entries"]] == [record_id_for(batch["id"], n)
                                                                for n in range(1, ENTRIES + 1)]
        catalog = SqlCatalog(database)
        try:
            entries = catalog.batch_entries(batch["id"])
            records = {r.id for r in catalog.find_records(_agency_filter())}
        finally:
            catalog.close()
        assert records == {e.record_id for e in entries} and len(records) == ENTRIES  # exactly once
        by_instance = Counter(processes.get(int(e.worker.rsplit(":", 1)[1]), "other") for e in entries)
        assert by_instance["a"] > 0 and by_instance["b"] > 0 and by_instance["other"] == 0, by_instance
        print(f"batch of {ENTRIES}: {time.monotonic() - began:.0f} s, entries by instance {dict(by_instance)}, "
              f"taken more than once {sum(1 for e in entries if e.attempts > 1)}")

        # --- the evidence verifies, from either instance's configuration ---
        for instance in (a, b):
            for command in (["archive", "verify"], ["audit", "verify", "--sealed"]):
                done = subprocess.run([sys.executable, "-m", "forms_service.cli", *command], env=instance.env,
                                      capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, (instance.name, command, done.stdout[-2000:], done.stderr[-2000:])
                assert command[0] == "archive" or "sealed days: 1," in done.stdout, done.stdout  # yesterday's

        # --- readiness names the shared part that is down: the queue, then the store ---
        shared.redis.terminate()
        shared.redis.wait(10)
        assert _not_ready(b) == ["jobs"]
        shared.store.stop()
        assert _not_ready(b) == ["jobs", "store"]
    finally:
        haproxy.terminate()
        haproxy.wait(10)
        for instance in pair:
            instance.stop()


def _store(shared: Shared, bucket: str) -> Any:
    from storage.s3 import S3ObjectStore

    creds = shared.store.credentials
    return S3ObjectStore(endpoint=shared.store.endpoint, access_key=creds.access_key, secret_key=creds.secret_key,
                         bucket=bucket)


def _not_ready(instance: Instance) -> list[str]:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{instance.port}/readyz", timeout=30)
    except urllib.error.HTTPError as err:
        assert err.code == 503
        checks = json.loads(err.read())["error"]["checks"]
        return sorted(name for name, check in checks.items() if not check["ok"])
    return []


def _agency_filter():
    from forms_service.catalog import RecordFilter

    return RecordFilter(agency="379000000A", limit=10 * ENTRIES)
