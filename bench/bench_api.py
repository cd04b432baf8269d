"""附件2 through the API of ``forms-service serve`` on the embedded default, at its default B-LTA.

    .venv/bin/python bench/bench_api.py [--docs 20] [--concurrent-docs 40] [--clients 4] [--baseline-docs 5]

Starts ``forms-service serve`` as a fresh machine runs it (embedded store, demo PKI, one web
process per core) and posts the 附件2 example: the median of sequential requests (warm), documents
per second with ``--clients`` concurrent clients, and the memory (PSS) of the whole service — master,
web processes, LibreOffice, store — printed without and with the demo card reader that demo mode
starts beside it (a stand-in for HiPKI on the signer's PC, which a deployment does not run).  The
baseline, measured in the same run beside the running service: the naive peer (fresh
``soffice --convert-to``, stock pyHanko B-B signer, one put), as in ``bench_pipeline.py``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forms_service.observe.console import hide_library_warnings  # noqa: E402

hide_library_warnings()  # the bench's console shows its own lines, as the service's does

from bench.bench_pipeline import EXAMPLE, naive_runs, tree_rss_mib  # noqa: E402
from bench.bench_retrieval import wait_for  # noqa: E402
from forms_service.components import start_components  # noqa: E402
from forms_service.settings import Settings  # noqa: E402
from storage.seaweed import free_port  # noqa: E402

BODY = json.dumps(EXAMPLE).encode()


def post(port: int, token: str, *, form_id: str = "annex2-agreement", body: bytes = BODY,
         timeout: float = 120) -> float:
    """Seconds to file one record through the API (anything but 201 ends the bench)."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("POST", f"/api/v1/forms/{form_id}/records", body=body,
                       headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    if response.status != 201:
        raise SystemExit(f"POST failed: {response.status} {answer[:300]!r}")
    return time.perf_counter() - started


def signature_level(port: int, token: str) -> str:
    """The level of the newest record's signature, as the service reports it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/api/v1/records?limit=1", headers={"Authorization": f"Bearer {token}"})
    record = json.loads(connection.getresponse().read())["records"][0]
    return str(record["versions"][-1]["signature_report"][0]["level"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20, help="sequential documents")
    parser.add_argument("--concurrent-docs", type=int, default=40)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--baseline-docs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        data_dir = Path(tmp) / "data"
        port = free_port()
        env = {**os.environ, "FORMS_DATA_DIR": str(data_dir)}
        log = open(Path(tmp) / "serve.log", "w")  # noqa: SIM115 — open for the server's lifetime
        proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", str(port)],
                                env=env, stdout=log, stderr=log)
        try:
            wait_for(port, proc)
            token = (data_dir / "demo-token").read_text().strip()
            for _ in range(6):  # warm-up: every web process converts and signs once or more
                post(port, token)
            if (level := signature_level(port, token)) != "B-LTA":
                raise SystemExit(f"the service signed at {level}, not B-LTA")
            sequential = [post(port, token) for _ in range(args.docs)]
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                list(pool.map(lambda _: post(port, token), range(args.concurrent_docs)))
            rate = args.concurrent_docs / (time.perf_counter() - started)
            memory = tree_rss_mib([proc.pid])
            # The demo card reader stands in for HiPKI's LocalSignServer on the signer's own PC: demo
            # mode runs it beside the server, a deployment does not.
            service_memory = tree_rss_mib([proc.pid], leave_out="signing.local_sign")
            # The naive peer beside the running service, on its store and demo PKI.
            settings = Settings.load(environ={}, data_dir=data_dir)
            with start_components(settings, with_converter=False) as components:
                naive, naive_in_process = naive_runs(components, Path(tmp), args.baseline_docs)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            log.close()

    median, naive_median = statistics.median(sequential), statistics.median(naive)
    print("附件2 (annex2-agreement) through the API of forms-service serve, signed at B-LTA, archived")
    print(f"  warm, one client   median {median * 1000:7.0f} ms   (n={len(sequential)}, "
          f"p90 {sorted(sequential)[int(len(sequential) * 0.9) - 1] * 1000:.0f} ms)")
    print(f"  naive peer         median {naive_median * 1000:7.0f} ms   "
          "(stock docxtpl + fresh soffice + stock pyHanko B-B + put, own process)")
    print(f"  speed-up           {naive_median / median:7.1f} ×")
    in_process = statistics.median(naive_in_process)
    print(f"  (the same steps in the bench's process, pyHanko with the service's replacements: "
          f"{in_process * 1000:.0f} ms, {in_process / median:.1f} ×)")
    print(f"  throughput         {rate:7.1f} documents/s with {args.clients} concurrent clients")
    print(f"  memory (PSS)       {service_memory:7.0f} MiB: master, web processes, LibreOffice, store, demo PKI")
    print(f"                     {memory:7.0f} MiB with the demo card reader (the stand-in for the signer's PC)")


if __name__ == "__main__":
    main()
