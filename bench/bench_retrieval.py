"""Retrieval under load: 20 concurrent clients fetching records for 60 s.

    .venv/bin/python bench/bench_retrieval.py [--server serve|gunicorn] [--clients 20] [--seconds 60]
                                              [--workers 2] [--records 20] [--database sqlite|postgresql]

``--server serve`` (the default): ``forms-service serve`` on the embedded default, as a fresh
machine runs it — its own SeaweedFS and demo PKI, N web workers × 16 threads.  ``--server gunicorn``:
production-shaped, SeaweedFS as a separate S3 service (started here) and the app under gunicorn
with the packaged configuration (``forms_service.web.gunicorn_conf``).  Each client loops: GET a
record's metadata, then GET its PDF (keep-alive, X-Purpose sent).
Prints errors, p50/p99 for metadata and for PDF downloads, and the same for one client alone
first (the baseline, same run) as ratios; then checks that the audit log holds exactly one entry
per retrieval served.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forms_service.observe.console import hide_library_warnings  # noqa: E402

hide_library_warnings()  # the bench's console shows its own lines, as the service's does

from sqlalchemy import func, select  # noqa: E402

from forms_service.access.tokens import create_token  # noqa: E402
from forms_service.catalog.models import AuditEventRow  # noqa: E402
from forms_service.forms import example_input  # noqa: E402
from forms_service.repositories import SqlCatalog  # noqa: E402
from storage.seaweed import EmbeddedSeaweedFS, free_port  # noqa: E402

EXAMPLE = example_input("annex2-agreement")


class Client:
    """One keep-alive connection; returns (status, milliseconds)."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            self.connection.request("GET", path, headers={"Authorization": f"Bearer {self.token}",
                                                          "X-Purpose": "bench"})
            response = self.connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            status = 0
        return status, (time.perf_counter() - started) * 1000


def run_clients(port: int, token: str, record_ids: list[str], clients: int, seconds: float) -> dict:
    results = {"meta": [], "pdf": [], "errors": 0, "served": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def loop(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port, token)
        meta, pdf, errors, served = [], [], 0, 0
        while time.monotonic() < deadline:
            record_id = rng.choice(record_ids)
            for kind, path in (("meta", f"/api/v1/records/{record_id}"), ("pdf", f"/api/v1/records/{record_id}/pdf")):
                status, ms = client.get(path)
                if status == 200:
                    served += 1
                    (meta if kind == "meta" else pdf).append(ms)
                else:
                    errors += 1
        with lock:
            results["meta"] += meta
            results["pdf"] += pdf
            results["errors"] += errors
            results["served"] += served

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def wait_for(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited at start-up")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("gunicorn did not become healthy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=("serve", "gunicorn"), default="serve",
                        help="forms-service serve on the embedded default, or gunicorn beside a separate S3")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--baseline-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--records", type=int, default=20)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="the catalog: SQLite in the data directory, or a private PostgreSQL cluster")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-retrieval-"))
        data_dir = Path(tmp) / "data"
        data_dir.mkdir(mode=0o700)
        env = {**os.environ, "FORMS_DATA_DIR": str(data_dir), "FORMS_WEB_WORKERS": str(args.workers)}
        if args.database == "postgresql":
            from tests.postgres import private_cluster

            env["FORMS_DATABASE_URL"] = stack.enter_context(private_cluster())
        database_url = env.get("FORMS_DATABASE_URL", f"sqlite:///{data_dir / 'catalog.sqlite3'}")
        port = free_port()
        log = stack.enter_context(open(Path(tmp) / "server.log", "w"))
        if args.server == "serve":
            command = [sys.executable, "-m", "forms_service.cli", "serve", "--port", str(port)]
        else:
            s3 = stack.enter_context(EmbeddedSeaweedFS(Path(tmp) / "s3", bucket="forms-records"))
            env.update({"FORMS_PORT": str(port), "FORMS_S3_ENDPOINT": s3.endpoint,
                        "FORMS_S3_ACCESS_KEY": s3.credentials.access_key,
                        "FORMS_S3_SECRET_KEY": s3.credentials.secret_key, "FORMS_RETENTION_MODE": "GOVERNANCE",
                        "FORMS_SIGNATURE_LEVEL": "B-B", "FORMS_DATABASE_URL": database_url})
            command = [sys.executable, "-m", "gunicorn", "-c", "python:forms_service.web.gunicorn_conf"]
        catalog = SqlCatalog(database_url)
        catalog.create_schema()
        token = create_token(catalog, agency="000000000D", role="admin", label="bench")
        proc = subprocess.Popen([*command, "--access-logfile", "/dev/null"] if args.server == "gunicorn" else command,
                                env=env, stdout=log, stderr=log)
        try:
            wait_for(port, proc)
            record_ids = []
            for _ in range(args.records):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("POST", "/api/v1/forms/annex2-agreement/records", body=json.dumps(EXAMPLE),
                                   headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                response = connection.getresponse()
                body = json.loads(response.read())
                if response.status != 201:
                    raise SystemExit(f"seeding failed: {response.status} {body}")
                record_ids.append(body["record_id"])
            started = datetime.now(timezone.utc)
            print(f"{'forms-service serve (embedded store)' if args.server == 'serve' else 'gunicorn, separate S3'}: "
                  f"{args.workers} web worker(s) × 16 threads, catalog on {args.database}; "
                  f"{len(record_ids)} annex2 records seeded")
            baseline = run_clients(port, token, record_ids, 1, args.baseline_seconds)
            loaded = run_clients(port, token, record_ids, args.clients, args.seconds)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
        with catalog.engine.connect() as connection:
            audited = connection.scalar(select(func.count()).select_from(AuditEventRow).where(
                AuditEventRow.at >= started, AuditEventRow.action.in_(("record.read", "record.download")),
                AuditEventRow.outcome == "ok"))
        catalog.close()

    served = baseline["served"] + loaded["served"]
    print(f"baseline, 1 client {args.baseline_seconds:.0f} s: {baseline['served']} requests, "
          f"metadata p50 {pct(baseline['meta'], 50):.1f} ms, PDF p50 {pct(baseline['pdf'], 50):.1f} ms")
    rate, single_rate = loaded["served"] / args.seconds, baseline["served"] / args.baseline_seconds
    print(f"load, {args.clients} clients {args.seconds:.0f} s: {loaded['served']} requests ({rate:.0f}/s, "
          f"{rate / max(single_rate, 0.001):.1f}× the single client's rate), errors {loaded['errors']}")
    for kind, label in (("meta", "metadata"), ("pdf", "PDF download")):
        p50, p99 = pct(loaded[kind], 50), pct(loaded[kind], 99)
        print(f"  {label:13} p50 {p50:7.1f} ms  p99 {p99:7.1f} ms   "
              f"(p50 {p50 / pct(baseline[kind], 50):.1f}× the single client's)")
    print(f"audit entries written: {audited}; requests served: {served} -> "
          + ("equal" if audited == served else f"MISMATCH ({audited - served:+d})"))
    if loaded["errors"] or audited != served:
        sys.exit(1)


if __name__ == "__main__":
    main()
