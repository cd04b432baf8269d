"""Query events through the API of ``forms-service serve`` on the embedded default, in batches of 500.

    .venv/bin/python bench/bench_query_events.py [--events 20000] [--batch 500] [--clients 2]

Starts ``forms-service serve`` as a fresh machine runs it, makes a business system's token, and posts
``--events`` distinct events of one month with ``--clients`` concurrent clients: events stored per
second, then the same batches again (every event a duplicate: the idempotent retry path).  The
baseline, measured in the same run on the same catalog file: the same number of events written
straight into the catalog (``add_query_events``) by one process, no HTTP and no validation.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forms_service.observe.console import hide_library_warnings  # noqa: E402

hide_library_warnings()  # the bench's console shows its own lines, as the service's does

from bench.bench_retrieval import wait_for  # noqa: E402
from bench.connections import system_token  # noqa: E402
from storage.seaweed import free_port  # noqa: E402

SYSTEM = "稅務資料整合查詢系統"


def events(start: int, count: int, prefix: str = "ev") -> list[dict]:
    base = datetime(2026, 11, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    return [{"event_id": f"{prefix}-{n}", "at": (base + timedelta(seconds=37 * n)).isoformat(), "system": SYSTEM,
             "user": {"name": "王小明", "account": f"tp-{n % 40}"}, "subject": {"business_id": "22099131"},
             "purpose": "營業稅籍查核", "case_no": f"北市稽字第1153{n:06d}號"} for n in range(start, start + count)]


def post(port: int, token: str, batch: list[dict]) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("POST", "/api/v1/query-events", body=json.dumps(batch, ensure_ascii=False).encode(),
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"POST failed: {response.status} {body[:300]!r}")
    return json.loads(body)


def run(port: int, token: str, batches: list[list[dict]], clients: int) -> tuple[float, int, int]:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        answers = list(pool.map(lambda b: post(port, token, b), batches))
    elapsed = time.perf_counter() - started
    return elapsed, sum(a["accepted"] for a in answers), sum(len(a["duplicates"]) for a in answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-events-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        env = {**os.environ, "FORMS_DATA_DIR": str(data_dir)}
        with open(Path(tmp) / "serve.log", "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", str(port)],
                                    env=env, stdout=log, stderr=log)
            try:
                wait_for(port, proc)
                token = system_token(port, env, SYSTEM)
                post(port, token, events(10_000_000, args.batch, "warm"))
                batches = [events(n, min(args.batch, args.events - n)) for n in range(0, args.events, args.batch)]
                elapsed, accepted, _ = run(port, token, batches, args.clients)
                again, _, duplicates = run(port, token, batches, args.clients)
            finally:
                proc.terminate()
                proc.wait(timeout=60)

        # Baseline: the catalog alone, same file, same number of events.
        from forms_service.components import open_catalog
        from forms_service.querylog.values import NewQueryEvent
        from forms_service.settings import Settings

        catalog = open_catalog(Settings.load(environ={}, data_dir=data_dir))
        rows = [NewQueryEvent(agency="379010000A", system=SYSTEM, event_id=e["event_id"],
                              at=datetime.fromisoformat(e["at"]), data=e) for e in events(0, args.events, "base")]
        started = time.perf_counter()
        for n in range(0, len(rows), args.batch):
            catalog.add_query_events(rows[n:n + args.batch], by="bench", now=datetime.now(timezone.utc))
        baseline = time.perf_counter() - started
        catalog.close()

    print(f"query events through the API of forms-service serve, batches of {args.batch}, {args.clients} clients")
    print(f"  new events       {accepted / elapsed:8.0f} events/s   ({accepted:,} in {elapsed:.1f} s)")
    print(f"  retried batches  {duplicates / again:8.0f} events/s   ({duplicates:,} duplicates, none stored)")
    print(f"  baseline         {args.events / baseline:8.0f} events/s   (catalog writes alone, no HTTP or checks)")
    print(f"  API / baseline   {(accepted / elapsed) / (args.events / baseline):8.2f}")


if __name__ == "__main__":
    main()
