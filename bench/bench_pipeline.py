"""Warm pipeline vs naive baseline for annex2-agreement, measured in the same run.

    .venv/bin/python bench/bench_pipeline.py [--docs 20] [--baseline-docs 5] [--throughput-docs 40]

Warm: validate → render → convert on the warm LibreOffice pool → sign (B-B, with the visible
stamp) with the cached key → put with retention → catalog row (``Producer`` + ``Archive``).
Baseline: the naive peer (``bench/naive_peer.py``) — the same input filled by stock docxtpl, a
fresh ``soffice --convert-to`` and a fresh profile per document, pyHanko's stock ``SimpleSigner``
(re-parses the key each time) with pyHanko's defaults, and one plain put — in a Python process of
its own with stock pyHanko and asn1crypto.  Also printed: the same steps in this process
(``naive_in_process_once``, the baseline of the runs before 2026-12-01's second), whose signing
runs with the service's replacements for parts of pyHanko and asn1crypto.
Prints medians, the ratio, documents/second with the pool's two workers, and resident memory.
"""

from __future__ import annotations

import argparse
import os
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

from pyhanko.sign.signers import SimpleSigner  # noqa: E402

from bench.naive_peer import NaivePeer  # noqa: E402
from forms_service.access import LOCAL_OPERATOR  # noqa: E402
from forms_service.components import start_components  # noqa: E402
from forms_service.convert.fonts import fontconfig_env  # noqa: E402
from forms_service.forms import RenderOptions, example_input, get_form  # noqa: E402
from forms_service.produce.render import render_docx  # noqa: E402
from forms_service.produce.templates import packaged_template  # noqa: E402
from forms_service.settings import Settings  # noqa: E402
from signing import SignatureOptions, sign_pdf  # noqa: E402

EXAMPLE = example_input("annex2-agreement")


def warm_once(components) -> float:
    started = time.perf_counter()
    components.filing.file(LOCAL_OPERATOR, "annex2-agreement", EXAMPLE)
    return time.perf_counter() - started


def naive_in_process_once(components, work: Path) -> float:
    """The naive steps in the bench's process, signing with what ``signing`` installs (not stock)."""
    spec = get_form("annex2-agreement")
    started = time.perf_counter()
    form = spec.validate(EXAMPLE)
    docx = render_docx(packaged_template(spec.template),
                       spec.render_context(form, RenderOptions(provider_name=components.settings.provider_name)))
    job = Path(tempfile.mkdtemp(dir=work))
    (job / "in.docx").write_bytes(docx)
    filt = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{job}/profile", "--convert-to", filt,
         "--outdir", str(job), str(job / "in.docx")],
        check=True, capture_output=True, env={**os.environ, **fontconfig_env(), "HOME": str(job)}, timeout=120,
    )
    pdf = (job / "in.pdf").read_bytes()
    pki = components.settings.data_dir / "pki"
    stock = SimpleSigner.load_pkcs12(str(pki / "demo-signer.p12"),
                                     passphrase=(pki / "demo-signer.pass").read_bytes().strip())
    signed = sign_pdf(pdf, stock, SignatureOptions())
    components.store.put(f"bench/naive-{job.name}.pdf", signed, content_type="application/pdf", metadata={})
    return time.perf_counter() - started


def naive_runs(components, work: Path, count: int) -> tuple[list[float], list[float]]:
    """``count`` documents of the naive peer in its own process, and as many in this one,
    alternating so that both meet the machine in the same state."""
    pki = components.settings.data_dir / "pki"
    stock, in_process = [], []
    with NaivePeer(pki / "demo-signer.p12", pki / "demo-signer.pass", components.settings.provider_name,
                   work) as peer:
        for _ in range(count):
            stock.append(peer.once(components.store))
            in_process.append(naive_in_process_once(components, work))
    return stock, in_process


def tree_rss_mib(pids: list[int], *, leave_out: str = "") -> float:
    """Resident memory (PSS where available) of these processes and all their descendants, but for
    the processes (and theirs) whose command line holds ``leave_out``."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    seen, stack, total_kib = set(), list(pids), 0
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        if leave_out:
            try:
                if leave_out in (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")).decode():
                    continue
            except OSError:
                continue
        stack.extend(children.get(pid, []))
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            total_kib += int(next(line for line in rollup.splitlines() if line.startswith("Pss:")).split()[1])
        except (OSError, StopIteration):
            pass
    return total_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20, help="warm documents, sequential")
    parser.add_argument("--baseline-docs", type=int, default=5, help="naive documents")
    parser.add_argument("--throughput-docs", type=int, default=40, help="documents for the 2-worker throughput run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="forms-bench-") as tmp:
        # B-B for the comparison with the naive baseline (which signs B-B); B-LTA measured after.
        settings = Settings.load(environ={}, data_dir=Path(tmp) / "data", converter_workers=2, signature_level="B-B")
        with start_components(settings) as components:
            for _ in range(3):  # warm-up: first conversions load fonts and code
                warm_once(components)
            warm = [warm_once(components) for _ in range(args.docs)]
            naive, naive_in_process = naive_runs(components, Path(tmp), args.baseline_docs)

            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda _: warm_once(components), range(args.throughput_docs)))
            rate = args.throughput_docs / (time.perf_counter() - started)

            import dataclasses

            from signing import Level

            lta = dataclasses.replace(components, level=Level.B_LTA, _closers=[])
            warm_once(lta)
            lta_times = [warm_once(lta) for _ in range(max(5, args.docs // 2))]

            service = tree_rss_mib([os.getpid()])  # includes the workers and store, started by us
            store = tree_rss_mib([components.embedded_store._process.pid])
            workers = tree_rss_mib([w.process.pid for w in components.converter._workers if w.process])

    warm_median, naive_median = statistics.median(warm), statistics.median(naive)
    print("annex2-agreement end to end (validate → signed, stored, catalogued)")
    p90 = sorted(warm)[int(len(warm) * 0.9) - 1]
    print(f"  warm pipeline   median {warm_median * 1000:7.0f} ms   (n={len(warm)}, p90 {p90 * 1000:.0f} ms)")
    print(f"  naive baseline  median {naive_median * 1000:7.0f} ms   "
          f"(n={len(naive)}: stock docxtpl + fresh soffice + stock pyHanko B-B + put, own process)")
    print(f"  speed-up        {naive_median / warm_median:7.1f} ×")
    in_process = statistics.median(naive_in_process)
    print(f"  (the same steps in this process, pyHanko with the service's replacements: {in_process * 1000:.0f} ms, "
          f"{in_process / warm_median:.1f} ×)")
    print(f"  warm at B-LTA   median {statistics.median(lta_times) * 1000:7.0f} ms   "
          "(the demo default: timestamp, OCSP/CRL, archive timestamp)")
    print(f"  throughput      {rate:7.1f} documents/s with 2 workers, 4 concurrent callers")
    print(f"  memory (PSS)    {service:7.0f} MiB in total: store {store:.0f} MiB, "
          f"LibreOffice workers {workers:.0f} MiB, "
          f"service {service - store - workers:.0f} MiB")


if __name__ == "__main__":
    main()
