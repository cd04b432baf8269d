"""The monthly query check at size, through the API of ``forms-service serve`` on the embedded default.

    .venv/bin/python bench/bench_query_month.py [--flagged 100000] [--register 10000]

1. ``--flagged`` events of one month (October, a little anomalous traffic among clean queries)
   posted in batches of 500, then the month read with its flags — ``GET /api/v1/query-logs/…``,
   every event read and flagged — and closed (sealed into the store).  Target: flagged in ≤ 10 s.
   Baseline in the same run: the same month's events read from the catalog alone (no flags, no
   HTTP), in this process.
2. ``--register`` clean events of another system and month (September), closed, and signed off
   by its assigned 查核人員: the 附件5 of every event rendered, converted, signed and archived.
   Target: ≤ 60 s.  Baseline in the same run: the same register posted directly as a form
   (``POST /api/v1/forms/annex5-query-log/records``) — what the review adds is the difference.
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
import urllib.parse
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forms_service.observe.console import hide_library_warnings  # noqa: E402

hide_library_warnings()  # the bench's console shows its own lines, as the service's does

from bench.bench_retrieval import wait_for  # noqa: E402
from bench.connections import system_token  # noqa: E402
from forms_service.taiwan import is_valid_ubn, is_working_day  # noqa: E402
from storage.seaweed import free_port  # noqa: E402

TAIPEI = timezone(timedelta(hours=8))
AGENCY = "379010000A"
BUSY, QUIET = "稅務資料整合查詢系統", "地價稅查詢系統"


def month_events(system: str, year: int, month: int, count: int, *, planted: bool) -> list[dict]:
    """``count`` queries spread over the month's working days and office hours by 40 users, each
    subject queried once; with ``planted``, one in 500 is at night."""
    days = [date(year, month, d) for d in range(1, 32) if _exists(year, month, d) and is_working_day(
        date(year, month, d))]
    seconds = 8 * 3600  # 09:00–17:00
    subjects = valid_ubns(count)
    out = []
    for n in range(count):
        day = days[n % len(days)]
        offset = (n // len(days)) * seconds // max(1, count // len(days) + 1)
        at = datetime(day.year, day.month, day.day, 9, tzinfo=TAIPEI) + timedelta(seconds=offset)
        if planted and n % 500 == 7:
            at = at.replace(hour=23)
        out.append({"event_id": f"{system[:2]}-{n}", "at": at.isoformat(), "system": system,
                    "user": {"name": f"查詢員{n % 40}", "account": f"tp-{n % 40}"},
                    "subject": {"business_id": subjects[n]}, "purpose": "營業稅籍查核",
                    "case_no": f"北市稽字第1153{n:06d}號"})
    return out


def valid_ubns(count: int) -> list[str]:
    found, number = [], 10_000_000
    while len(found) < count:
        number += 1
        if is_valid_ubn(str(number)):
            found.append(str(number))
    return found


def _exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


class Api:
    def __init__(self, port: int):
        self.port = port

    def call(self, method: str, path: str, token: str, body: object = None, expect: int = 200) -> dict:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=900)
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request(method, urllib.parse.quote(path, safe="/?=&"), body=data, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        if response.status != expect:
            raise SystemExit(f"{method} {path}: {response.status} {answer[:400]!r}")
        return json.loads(answer)


def post(api: Api, token: str, batch: list[dict]) -> None:
    answer = api.call("POST", "/api/v1/query-events", token, batch)
    if answer["accepted"] != len(batch):
        raise SystemExit(f"{len(batch) - answer['accepted']} of {len(batch)} events not stored: "
                         f"{answer['refused'][:2]}")


def cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "forms_service.cli", *args], env=env, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise SystemExit(f"forms-service {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flagged", type=int, default=100_000, help="events of the month read with its flags")
    parser.add_argument("--register", type=int, default=10_000, help="entries of the signed-off register")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-month-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        env = {**os.environ, "FORMS_DATA_DIR": str(data_dir), "FORMS_QUERY_LOG_CLOSE_DAYS": "0"}
        with open(Path(tmp) / "serve.log", "w") as log:
            proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", str(port)],
                                    env=env, stdout=log, stderr=log)
            try:
                wait_for(port, proc)
                api = Api(port)
                busy, quiet = system_token(port, env, BUSY), system_token(port, env, QUIET)
                cli(env, "users", "create", "--username", "mei", "--agency", AGENCY, "--role", "auditor",
                    "--password", "correct horse battery", "--name", "陳美玲", "--account", "tp-mei")
                mei = cli(env, "tokens", "create", "--user", "mei")
                staff = cli(env, "tokens", "create", "--agency", AGENCY, "--role", "staff")
                cli(env, "query-log", "assign", "--agency", AGENCY, "--system", QUIET, "--user", "mei")

                started = time.perf_counter()
                events = month_events(BUSY, 2026, 10, args.flagged, planted=True)
                for n in range(0, len(events), 500):
                    post(api, busy, events[n:n + 500])
                ingest = time.perf_counter() - started
                started = time.perf_counter()
                month = api.call("GET", f"/api/v1/query-logs/{BUSY}/2026-10", staff)
                flagged = time.perf_counter() - started
                started = time.perf_counter()
                api.call("POST", f"/api/v1/query-logs/{BUSY}/2026-10/close", staff, expect=201)
                sealed = time.perf_counter() - started

                events = month_events(QUIET, 2026, 9, args.register, planted=False)
                for n in range(0, len(events), 500):
                    post(api, quiet, events[n:n + 500])
                api.call("POST", f"/api/v1/query-logs/{QUIET}/2026-09/close", mei, expect=201)
                clean = api.call("GET", f"/api/v1/query-logs/{QUIET}/2026-09", mei)
                if clean["flags"]:
                    raise SystemExit(f"the clean month has {len(clean['flags'])} flags: {clean['flags'][:3]}")
                started = time.perf_counter()
                signed = api.call("POST", f"/api/v1/query-logs/{QUIET}/2026-09/review", mei, {
                    "result": "normal", "reviewed_on": "115/10/05"}, expect=201)
                sign_off = time.perf_counter() - started
                record = api.call("GET", f"/api/v1/records/{signed['record_id']}", mei)
                started = time.perf_counter()
                api.call("POST", "/api/v1/forms/annex5-query-log/records", staff,
                         {**record["input"], "user_unit": {"name": "臺北市稅捐稽徵處", "code": AGENCY}}, expect=201)
                direct = time.perf_counter() - started
            except BaseException:
                print((Path(tmp) / "serve.log").read_text()[-3000:], file=sys.stderr)
                raise
            finally:
                proc.terminate()
                proc.wait(timeout=60)

        # Baseline of step 1: the month's events read from the catalog alone.
        from forms_service.components import open_catalog
        from forms_service.querylog.month import month_bounds
        from forms_service.settings import Settings

        catalog = open_catalog(Settings.load(environ={}, data_dir=data_dir))
        start, end = month_bounds("2026-10")
        started = time.perf_counter()
        read = catalog.query_events(agency=AGENCY, system=BUSY, start=start, end=end)
        reading = time.perf_counter() - started
        catalog.close()

    print(f"the monthly query check through the API of forms-service serve (embedded default, {os.cpu_count()} cores)")
    print(f"  {args.flagged:,} events posted             {ingest:7.1f} s  ({args.flagged / ingest:,.0f} events/s)")
    print(f"  month read with its flags        {flagged:7.1f} s  ({month['count']:,} events, "
          f"{len(month['flags']):,} flags)   target ≤ 10 s")
    print(f"  baseline: events read alone      {reading:7.1f} s  ({len(read):,} events, catalog only)  "
          f"ratio {flagged / reading:.1f}×")
    print(f"  month closed and sealed          {sealed:7.1f} s")
    print(f"  {signed['entries']:,}-entry register signed off  {sign_off:7.1f} s   target ≤ 60 s")
    print(f"  baseline: same register posted   {direct:7.1f} s  ratio {sign_off / direct:.2f}×")


if __name__ == "__main__":
    main()
