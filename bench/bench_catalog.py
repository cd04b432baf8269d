"""Catalog search over 100,000 records on SQLite and PostgreSQL; store throughput of 100 KB records.

    .venv/bin/python bench/bench_catalog.py [--records 100000] [--queries 300] [--puts 100]

Search kinds: by agency + form + date range (what a clerk does) and by 統一編號 (which registers
mention a company).  Prints p50 and p99 in milliseconds per backend.  The PostgreSQL cluster is a
private one started here (as the tests do).  Store: puts/s of 100 KB objects with checksum,
retention and metadata (the archive's put) against plain puts, on the embedded SeaweedFS.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forms_service.observe.console import hide_library_warnings  # noqa: E402

hide_library_warnings()  # the bench's console shows its own lines, as the service's does

from sqlalchemy import insert  # noqa: E402

from forms_service.catalog import RecordFilter  # noqa: E402
from forms_service.catalog.models import RecordRow, RecordSubjectRow  # noqa: E402
from forms_service.repositories import SqlCatalog  # noqa: E402
from storage import Retention  # noqa: E402
from storage.s3 import S3ObjectStore  # noqa: E402
from storage.seaweed import EmbeddedSeaweedFS  # noqa: E402
from tests.postgres import private_cluster  # noqa: E402

FORMS = ["annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements", "annex4-audit-checklist",
         "annex5-query-log"]
AGENCIES = [(f"機關{i:03d}", f"{376000000 + i:09d}A") for i in range(300)]
START = datetime(2023, 1, 1, tzinfo=timezone.utc)


def fill(catalog: SqlCatalog, count: int, rng: random.Random) -> list[str]:
    ubns = [f"{rng.randrange(10**8):08d}" for _ in range(20000)]
    with catalog.engine.begin() as connection:
        for batch_start in range(0, count, 5000):
            records, subjects = [], []
            for i in range(batch_start, min(count, batch_start + 5000)):
                name, code = rng.choice(AGENCIES)
                form = rng.choice(FORMS)
                record_id = f"rec_{i:08d}"
                records.append({"id": record_id, "form_id": form, "agency_name": name, "agency_code": code,
                                "user_unit_name": name, "title": form, "status": "active", "input": {},
                                "created_at": START + timedelta(minutes=rng.randrange(4 * 365 * 24 * 60)),
                                "created_by": "bench"})
                if form == "annex5-query-log":
                    subjects += [{"record_id": record_id, "ubn": u} for u in rng.sample(ubns, 5)]
            connection.execute(insert(RecordRow), records)
            if subjects:
                connection.execute(insert(RecordSubjectRow), subjects)
    return ubns


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def search(catalog: SqlCatalog, queries: int, ubns: list[str], rng: random.Random) -> dict[str, tuple[float, float]]:
    by_agency, by_subject = [], []
    for _ in range(queries):
        name, code = rng.choice(AGENCIES)
        start = START + timedelta(days=rng.randrange(4 * 365 - 90))
        query = RecordFilter(agency=code, form_id=rng.choice(FORMS), created_from=start,
                             created_until=start + timedelta(days=90))
        began = time.perf_counter()
        catalog.find_records(query)
        by_agency.append(time.perf_counter() - began)
        began = time.perf_counter()
        catalog.find_records(RecordFilter(subject=rng.choice(ubns)))
        by_subject.append(time.perf_counter() - began)
    return {"agency + form + 90 days": percentiles(by_agency), "統一編號": percentiles(by_subject)}


def store_throughput(puts: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="forms-bench-store-") as tmp, \
            EmbeddedSeaweedFS(Path(tmp), bucket="bench") as server:
        creds = server.credentials
        store = S3ObjectStore(endpoint=server.endpoint, access_key=creds.access_key, secret_key=creds.secret_key,
                              bucket="bench")
        store.ensure_ready()
        data = random.Random(1).randbytes(100 * 1024)
        retention = Retention("GOVERNANCE", datetime.now(timezone.utc) + timedelta(days=2))
        for i in range(20):  # warm-up: the first puts create the volume
            store._client.put_object("bench", f"warm/{i}", __import__("io").BytesIO(data), len(data))
        began = time.perf_counter()
        for i in range(puts):
            store._client.put_object("bench", f"plain/{i}", __import__("io").BytesIO(data), len(data))
        plain = puts / (time.perf_counter() - began)
        began = time.perf_counter()
        for i in range(puts):
            store.put(f"archive/{i}", data, content_type="application/pdf", retention=retention,
                      metadata={"form-id": "annex2-agreement", "agency": "臺北市政府財政局",
                                "record-id": str(uuid.uuid4())})
        archived = puts / (time.perf_counter() - began)
    return plain, archived


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--puts", type=int, default=100)
    args = parser.parse_args()
    print(f"catalog search over {args.records:,} records, {args.queries} queries each (ms)")
    with tempfile.TemporaryDirectory(prefix="forms-bench-") as tmp, private_cluster() as postgres:
        for backend, url in (("SQLite", f"sqlite:///{tmp}/catalog.sqlite3"), ("PostgreSQL", postgres)):
            catalog = SqlCatalog(url)
            catalog.create_schema()
            rng = random.Random(7)
            began = time.perf_counter()
            ubns = fill(catalog, args.records, rng)
            loaded = time.perf_counter() - began
            for kind, (p50, p99) in search(catalog, args.queries, ubns, rng).items():
                print(f"  {backend:10s} by {kind:22s} p50 {p50:6.2f}   p99 {p99:6.2f}")
            print(f"  {backend:10s} (loaded in {loaded:.0f} s)")
            catalog.close()
    plain, archived = store_throughput(args.puts)
    print(f"store, 100 KB objects: {archived:.0f} puts/s with checksum + retention + metadata, "
          f"{plain:.0f} puts/s plain → {archived / plain:.2f}×")


if __name__ == "__main__":
    main()
