"""Long documents are checked for PDF/A in a separate process while they are signed: the verdict
is the same as in place, a failing document fails with a sentence, and a checker process that
dies is a clear error (never a pass) and is replaced."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys

import pikepdf
import pytest

from forms_service.errors import ConversionFailed
from forms_service.produce import pdfa
from forms_service.produce.pdfa_checks import checks


def _not_pdfa() -> bytes:
    document = pikepdf.new()
    document.add_blank_page()
    out = io.BytesIO()
    document.save(out)
    return pdfa.write(out.getvalue())


def test_a_document_that_is_not_pdfa_fails_in_the_checker_process_as_in_place():
    with pytest.raises(ConversionFailed, match="not PDF/A-2b"):
        pdfa.check(_not_pdfa())
    with pytest.raises(ConversionFailed, match="not PDF/A-2b"):
        checks.submit(_not_pdfa()).result()


def test_a_good_document_passes_in_the_checker_process(annex2_pdf):
    written = pdfa.write(annex2_pdf)
    assert checks.submit(written).result()["verdict"] == "pass" == pdfa.check(written)["verdict"]


def test_a_checker_process_that_dies_is_an_error_and_is_replaced(annex2_pdf):
    written = pdfa.write(annex2_pdf)
    checks.submit(written).result()  # started, warm
    os.kill(checks.pid(), signal.SIGKILL)
    checks._process.wait()  # type: ignore[union-attr]
    assert checks.submit(written).result()["verdict"] == "pass"  # a dead checker is started again
    # One that dies mid-check (it reads the document's length, then exits without a verdict):
    checks._process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read(8)"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with pytest.raises(ConversionFailed, match="checker stopped"):
        checks.submit(written).result()
    assert checks.submit(written).result()["verdict"] == "pass"
