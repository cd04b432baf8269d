"""The naive peer of the benches' baselines: what someone would write instead of the service.

For each document: the 附件2 example validated and filled with docxtpl as it comes (a
``DocxTemplate`` and a plain sandboxed Jinja environment), converted by a fresh
``soffice --convert-to`` with a fresh profile, signed B-B by pyHanko's stock ``SimpleSigner``
loaded from the demo PKCS#12 file with pyHanko's defaults, and put once in the store.

It runs in a Python process of its own, started once and kept warm (imports paid before the first
document), which imports neither ``signing`` nor the service's components: the service's process
replaces parts of pyHanko and asn1crypto with faster equivalents (``signing/hex_strings.py``,
``name_prep.py``, ``asn1_dump.py``), and a peer sharing its process would sign with them and no
longer be stock.  The put is made by the bench's process on the service's store, so the peer's
document is stored the way the service stores its own.

    peer = NaivePeer(pkcs12, passphrase_file, provider_name, work_dir)   # in a bench
    seconds = peer.once(store)                                            # one document
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class NaivePeer:
    """The peer's process, for one bench run."""

    def __init__(self, pkcs12: Path, passphrase_file: Path, provider_name: str, work: Path):
        self.work = work
        self._process = subprocess.Popen(
            # (pyHanko's import warns of DSA: not the bench's line to show)
            [sys.executable, "-W", "ignore:DSA is deprecated", str(Path(__file__).resolve()), str(pkcs12),
             str(passphrase_file), provider_name, str(work)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )
        self._ask()  # ready: imports done, and one document made, as the warm service had its own

    def _ask(self) -> dict[str, Any]:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write("\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the naive peer's process ended")
        return json.loads(line)

    def once(self, store: Any) -> float:
        """Seconds for one document: made by the peer's process, then put in ``store``."""
        made = self._ask()
        started = time.perf_counter()
        signed = Path(made["pdf"]).read_bytes()
        store.put(f"bench/naive-{Path(made['pdf']).parent.name}.pdf", signed, content_type="application/pdf",
                  metadata={})
        return made["seconds"] + time.perf_counter() - started

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait(30)

    def __enter__(self) -> NaivePeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(pkcs12: str, passphrase_file: str, provider_name: str, work: str) -> None:
    """In the peer's process: one document for every line read, its time and file written back."""
    sys.path.insert(0, str(ROOT))
    from docxtpl import DocxTemplate
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    from forms_service.convert.fonts import fontconfig_env
    from forms_service.forms import RenderOptions, example_input, get_form
    from forms_service.produce.render import make_safe
    from forms_service.produce.templates import packaged_template

    if "signing" in sys.modules:
        raise SystemExit("the naive peer must not import the service's signing package")
    example = example_input("annex2-agreement")
    passphrase = Path(passphrase_file).read_bytes().strip()

    def once() -> dict[str, Any]:
        started = time.perf_counter()
        spec = get_form("annex2-agreement")
        form = spec.validate(example)
        doc = DocxTemplate(io.BytesIO(packaged_template(spec.template)))
        context = {**spec.render_context(form, RenderOptions(provider_name=provider_name)),
                   "page_numbers": True, "signature_blocks": ("party", "provider")}  # its blocks, as filed
        doc.render(make_safe(context), jinja_env=ImmutableSandboxedEnvironment(autoescape=True,
                                                                               undefined=StrictUndefined))
        job = Path(tempfile.mkdtemp(dir=work))
        doc.save(str(job / "in.docx"))
        export = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
        subprocess.run(
            ["soffice", "--headless", f"-env:UserInstallation=file://{job}/profile", "--convert-to", export,
             "--outdir", str(job), str(job / "in.docx")],
            check=True, capture_output=True, env={**os.environ, **fontconfig_env(), "HOME": str(job)}, timeout=120,
        )
        signer = signers.SimpleSigner.load_pkcs12(pkcs12, passphrase=passphrase)
        with open(job / "in.pdf", "rb") as converted, open(job / "signed.pdf", "wb") as out:
            signers.sign_pdf(IncrementalPdfFileWriter(converted, strict=False),
                             signers.PdfSignatureMetadata(field_name="Signature1",
                                                          subfilter=fields.SigSeedSubFilter.PADES),
                             signer=signer, output=out)
        return {"seconds": time.perf_counter() - started, "pdf": str(job / "signed.pdf")}

    for _ in sys.stdin:
        print(json.dumps(once()), flush=True)


if __name__ == "__main__":
    _serve(*sys.argv[1:5])
