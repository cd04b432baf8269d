"""The PDF worker process: documents are checked for PDF/A there while they are signed — every
document once the worker runs (a web process starts it), long ones always — and long documents'
chunks are assembled there.  The verdict and the document are the same as in place, a failing
document fails with a sentence, and a worker that dies is a clear error (never a pass, never a
half-made document) and is replaced."""

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
from forms_service.produce import assembly, pdfa
from forms_service.produce.pdf_worker import pdf_worker
from tests.conftest import load_example, signed_form


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
        pdf_worker.submit(_not_pdfa()).result()


def test_a_good_document_passes_in_the_checker_process(annex2_pdf):
    written = pdfa.write(annex2_pdf)
    assert pdf_worker.submit(written).result()["verdict"] == "pass" == pdfa.check(written)["verdict"]


def test_a_checker_process_that_dies_is_an_error_and_is_replaced(annex2_pdf):
    written = pdfa.write(annex2_pdf)
    pdf_worker.submit(written).result()  # started, warm
    os.kill(pdf_worker.pid(), signal.SIGKILL)
    pdf_worker._process.wait()  # type: ignore[union-attr]
    assert pdf_worker.submit(written).result()["verdict"] == "pass"  # a dead checker is started again
    # One that dies mid-check (it reads the document's length, then exits without a verdict):
    pdf_worker._process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read(8)"],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with pytest.raises(ConversionFailed, match="worker process stopped before the PDF/A check"):
        pdf_worker.submit(written).result()
    assert pdf_worker.submit(written).result()["verdict"] == "pass"


def _sent_to_the_checker(components, monkeypatch) -> list[int]:
    sent: list[int] = []
    submit = pdf_worker.submit
    monkeypatch.setattr(pdf_worker, "submit", lambda written: sent.append(len(written)) or submit(written))
    produced = signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    assert produced.pdfa["verdict"] == "pass"
    return sent


def _warm() -> None:
    pdf_worker.warm()  # as a web process starts it
    deadline = time.monotonic() + 10
    while not pdf_worker.running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pdf_worker.running


def test_a_form_goes_to_a_warm_checker_and_is_checked_in_place_without_one(components, monkeypatch):
    pdf_worker._stop()  # as a one-shot command finds it: not running
    assert _sent_to_the_checker(components, monkeypatch) == []
    _warm()
    assert len(_sent_to_the_checker(components, monkeypatch)) == 1


def test_a_form_the_warm_checker_refuses_is_an_error_though_signed_meanwhile(components, monkeypatch):
    _warm()
    bad = _not_pdfa()
    # what the producer checks and signs (no block located in it)
    monkeypatch.setattr(pdfa, "write_located", lambda converted, blocks: (bad, []))
    with pytest.raises(ConversionFailed, match="not PDF/A-2b"):
        signed_form(components, "annex2-agreement", load_example("annex2-agreement"))


def _blank(pages: int) -> bytes:
    document = pikepdf.new()
    for _ in range(pages):
        document.add_blank_page()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _shape(pdf: bytes) -> list[tuple[int, tuple[float, ...]]]:
    """Per page: how many form XObjects (overlays) it draws, and its media box."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [(len(page.Resources.get("/XObject", {})), tuple(float(v) for v in page.MediaBox))
                for page in document.pages]


def test_chunks_assembled_in_the_worker_make_the_document_made_in_place():
    chunks, counted = [_blank(1), _blank(2)], []
    assembled = pdf_worker.assemble(chunks, lambda pages: counted.append(pages) or _blank(pages))
    assert pdf_worker.running and counted == [3]  # the overlay made for the merged page count
    assert _shape(assembled) == _shape(assembly.assemble(chunks, _blank))
    assert [overlays for overlays, _ in _shape(assembled)] == [1, 1, 1]  # every page has its overlay


def test_an_overlay_of_another_length_is_refused_in_the_worker():
    with pytest.raises(ConversionFailed, match="overlay has 2 pages, the document 3"):
        pdf_worker.assemble([_blank(1), _blank(2)], lambda pages: _blank(2))


def test_an_overlay_that_cannot_be_made_leaves_the_worker_ready_for_the_next_document():
    def no_overlay(pages: int) -> bytes:
        raise ConversionFailed("LibreOffice could not convert the document")

    with pytest.raises(ConversionFailed, match="could not convert"):
        pdf_worker.assemble([_blank(1), _blank(2)], no_overlay)
    assert len(_shape(pdf_worker.assemble([_blank(2)], _blank))) == 2


def test_a_worker_that_dies_during_an_assembly_is_an_error_and_is_replaced():
    pdf_worker._stop()
    pdf_worker._process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.buffer.read(8)"],
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    with pytest.raises(ConversionFailed, match="worker process stopped before the document's assembly"):
        pdf_worker.assemble([_blank(1), _blank(1)], _blank)
    assert len(_shape(pdf_worker.assemble([_blank(1), _blank(1)], _blank))) == 2


def test_an_assembly_is_made_in_place_while_the_worker_is_busy(monkeypatch):
    asked: list[str] = []
    ask = pdf_worker._ask
    monkeypatch.setattr(pdf_worker, "_ask", lambda task, *rest: asked.append(task) or ask(task, *rest))
    with pdf_worker._busy:
        assert len(_shape(pdf_worker.assemble([_blank(2)], _blank))) == 2
    assert asked == []
    pdf_worker.assemble([_blank(2)], _blank)
    assert asked == ["merge", "number"]


def test_numbering_without_a_merged_document_is_refused_by_the_worker():
    pdf_worker._stop()
    with pdf_worker._busy, pytest.raises(ConversionFailed, match="no merged document to number"):
        pdf_worker._ask("number", [_blank(1)], "the document's assembly")
