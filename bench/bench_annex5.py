"""附件5 at size: seconds per 1,000 entries at 1k, 5k and 10k, against one-table conversion.

    .venv/bin/python bench/bench_annex5.py [--sizes 1000 5000 10000] [--baseline 1000]
                                           [--api 1000 1000 1000 10000]

End to end: validate → render in chunks → convert in parallel on the pool's two workers → merge
→ number pages → sign.  Baseline, in the same run: the same 1,000 rows rendered as one table and
converted by one LibreOffice (what the form would cost without chunking).  Also prints the other
forms' per-document medians.  With ``--api``, also the registers of those sizes posted to
``forms-service serve`` on the embedded default (two web processes, one LibreOffice each, which
lend each other their converter for a long document's chunks): signed and archived, answered 201.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from forms_service.observe.console import hide_library_warnings  # noqa: E402

hide_library_warnings()  # the bench's console shows its own lines, as the service's does

from forms_service.access import LOCAL_OPERATOR  # noqa: E402
from forms_service.components import start_components  # noqa: E402
from forms_service.forms import example_input, get_form  # noqa: E402
from forms_service.produce.render import render_docx  # noqa: E402
from forms_service.settings import Settings  # noqa: E402


def register(entries: int) -> dict:
    data = example_input("annex5-query-log")
    base = data["entries"]
    data["entries"] = [copy.deepcopy(base[i % len(base)]) for i in range(entries)]
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--baseline", type=int, default=1000, help="rows of the one-table baseline")
    parser.add_argument("--repeat", type=int, default=10, help="documents per other form")
    parser.add_argument("--api", type=int, nargs="*", default=[], metavar="SIZE",
                        help="also post registers of these sizes through the API of forms-service serve")
    args = parser.parse_args()
    if args.api:
        through_api(args.api)

    with tempfile.TemporaryDirectory(prefix="forms-bench-") as tmp:
        settings = Settings.load(environ={}, data_dir=Path(tmp), converter_workers=2, conversion_timeout=600)
        with start_components(settings, with_archive=False, with_catalog=True) as components:
            producer = components.producer
            filing = components.filing  # signs with the agency's key, as filing does

            def produce(form_id: str, data: dict):
                return filing.produce_form(LOCAL_OPERATOR, form_id, data)

            produce("annex5-query-log", register(300))  # warm-up
            print("附件5 end to end (validate → signed PDF/A), 2 workers")
            chunked = {}
            for size in args.sizes:
                started = time.perf_counter()
                produced = produce("annex5-query-log", register(size))
                seconds = time.perf_counter() - started
                chunked[size] = seconds
                print(f"  {size:6d} entries  {seconds:6.1f} s  {seconds / size * 1000:5.2f} s per 1,000  "
                      f"{produced.pages} pages  {len(produced.pdf) // 1024} KB")

            spec = get_form("annex5-query-log")
            form = spec.validate(register(args.baseline))
            started = time.perf_counter()
            docx = render_docx(components.templates.load(spec), spec.render_context(form, producer.options))
            components.converter.convert(docx)
            one_table = time.perf_counter() - started
            ours = chunked.get(args.baseline)
            if ours is None:
                started = time.perf_counter()
                produce("annex5-query-log", register(args.baseline))
                ours = time.perf_counter() - started
            print(f"  one table, {args.baseline} rows, render + convert only: {one_table:.1f} s "
                  f"→ chunked end to end is {one_table / ours:.1f}× faster")

            print("other forms, median per document (validate → signed PDF/A)")
            for form_id in ("annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements",
                            "annex4-audit-checklist"):
                data = example_input(form_id)
                produce(form_id, data)
                times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    produce(form_id, data)
                    times.append(time.perf_counter() - started)
                print(f"  {form_id:24s} {statistics.median(times) * 1000:6.0f} ms")


def through_api(sizes: list[int]) -> None:
    import json
    import os
    import signal
    import subprocess

    from bench.bench_api import post as post_record
    from bench.bench_retrieval import wait_for
    from storage.seaweed import free_port

    with tempfile.TemporaryDirectory(prefix="forms-bench-api-") as tmp:
        data_dir, port = Path(tmp) / "data", free_port()
        proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", str(port)],
                                env={**os.environ, "FORMS_DATA_DIR": str(data_dir)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(port, proc)
            token = (data_dir / "demo-token").read_text().strip()

            def post(entries: int) -> float:
                return post_record(port, token, form_id="annex5-query-log", body=json.dumps(register(entries)).encode(),
                                   timeout=600)

            post(300), post(300)  # warm-up: both web processes, their converters and PDF workers
            print("附件5 through the API of forms-service serve (signed B-LTA, archived, 201)")
            for size in sizes:
                seconds = post(size)
                print(f"  {size:6d} entries  {seconds:6.1f} s  {seconds / size * 1000:5.2f} s per 1,000")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)


if __name__ == "__main__":
    main()
