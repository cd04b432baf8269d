"""Documents are checked for PDF/A in a separate process while they are signed — every document
once the checker runs (a web process starts it), long ones always: the verdict is the same as in
place, a failing document fails with a sentence, and a checker process that dies is a clear error
(never a pass) and is replaced."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pikepdf
import pytest

from forms_service.errors import ConversionFailed
from forms_service.produce import pdfa
from forms_service.produce.pdfa_checks import checks
from tests.conftest import load_example


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


def _sent_to_the_checker(components, monkeypatch) -> list[int]:
    sent: list[int] = []
    submit = checks.submit
    monkeypatch.setattr(checks, "submit", lambda written: sent.append(len(written)) or submit(written))
    produced = components.producer.produce("annex2-agreement", load_example("annex2-agreement"))
    assert produced.pdfa["verdict"] == "pass"
    return sent


def _warm() -> None:
    checks.warm()  # as a web process starts it
    deadline = time.monotonic() + 10
    while not checks.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checks.running


def test_a_form_goes_to_a_warm_checker_and_is_checked_in_place_without_one(components, monkeypatch):
    checks._stop()  # as a one-shot command finds it: not running
    assert _sent_to_the_checker(components, monkeypatch) == []
    _warm()
    assert len(_sent_to_the_checker(components, monkeypatch)) == 1


def test_a_form_the_warm_checker_refuses_is_an_error_though_signed_meanwhile(components, monkeypatch):
    _warm()
    bad = _not_pdfa()
    monkeypatch.setattr(pdfa, "write", lambda converted: bad)  # what the producer checks and signs
    with pytest.raises(ConversionFailed, match="not PDF/A-2b"):
        components.producer.produce("annex2-agreement", load_example("annex2-agreement"))
