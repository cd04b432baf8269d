"""Web processes lend their converters for long documents: a borrowed chunk is converted by the
lender's pool as one more caller; a lender that is gone, busy or silent leaves its chunk to the
borrower; a chunk the lender's converter cannot convert fails the document, as at home."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time

import pikepdf
import pytest

from forms_service.convert.fake import FakeConverter
from forms_service.convert.lending import LENT_TO, ConverterLending, LentConverter, Unreachable
from forms_service.errors import ConversionFailed, ServiceUnavailable
from forms_service.forms import RenderOptions, get_form
from forms_service.produce.chunked import produce_chunked
from forms_service.produce.render import render_docx
from forms_service.produce.templates import packaged_template
from tests.conftest import CONVERTER_FONTS, documents_text, load_example, pdftotext


class Counting:
    """A converter that says who asked it, and how often."""

    def __init__(self, inner, *, fail: Exception | None = None, delay: float = 0):
        self.inner, self.fail, self.delay, self.callers = inner, fail, delay, []
        self._lock = threading.Lock()

    def convert(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> bytes:
        with self._lock:
            self.callers.append(caller)
        time.sleep(self.delay)  # a busy converter: the others take the next chunks meanwhile
        if self.fail is not None:
            raise self.fail
        return self.inner.convert(docx, tagged=tagged, caller=caller)

    def close(self) -> None:
        """Nothing to close."""


@pytest.fixture
def fake(fake_converter):
    """The borrower's converter: the tests' own.  The lender has its own: the fake is made for one
    caller at a time (its font subset is rewritten as new characters come), and the two convert at
    once here."""
    return fake_converter


@pytest.fixture(scope="module")
def lenders_fake():
    return FakeConverter(expected=documents_text(), cache_dir=CONVERTER_FONTS)


@pytest.fixture
def lender(tmp_path, lenders_fake):
    lent = Counting(lenders_fake)
    lending = ConverterLending(lent, tmp_path / "converters", timeout=30).start()
    yield lending, lent
    lending.close()


def a_docx() -> bytes:
    spec = get_form("annex2-agreement")
    form = spec.validate(load_example("annex2-agreement"))
    context = spec.render_context(form, RenderOptions(provider_name="經濟部"))
    return render_docx(packaged_template(spec.template), context)


def test_a_borrowed_document_is_converted_by_the_lenders_pool_as_another_caller(lender, lenders_fake):
    lending, lent = lender
    pdf = LentConverter(lending.path, timeout=30).convert(a_docx(), tagged=False, caller="someone")
    assert pdf == lenders_fake.convert(a_docx())
    assert lent.callers == [LENT_TO]


def test_a_data_directory_too_deep_for_a_socket_path_still_lends(tmp_path, lenders_fake):
    """A Unix socket's path holds 107 bytes at most; a deeper folder is reached through its descriptor."""
    folder = tmp_path / ("資料目錄" * 8) / ("converters-" * 6)
    assert len(os.fsencode(folder / "4194304.sock")) > 108
    lent = Counting(lenders_fake)
    lending = ConverterLending(lent, folder, timeout=30).start()
    try:
        assert lending.path.exists()
        pdf = LentConverter(lending.path, timeout=30).convert(a_docx(), tagged=False, caller="someone")
        assert pdf == lenders_fake.convert(a_docx()) and lent.callers == [LENT_TO]
    finally:
        lending.close()


def test_only_the_other_live_processes_converters_are_found(lender, tmp_path):
    lending, _ = lender
    folder = tmp_path / "converters"
    gone = folder / "999999999.sock"
    gone.touch()  # a process that was killed
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (folder / f"{other.pid}.sock").touch()
        assert [c.path.name for c in lending.lent_converters()] == [f"{other.pid}.sock"]  # not its own
        assert not gone.exists()  # removed on the way
    finally:
        other.kill()
        other.wait()
    assert lending.lent_converters() == []


def test_a_lender_that_is_gone_or_busy_is_unreachable_and_a_failed_conversion_fails(tmp_path, fake):
    with pytest.raises(Unreachable):
        LentConverter(tmp_path / "nobody.sock", timeout=5).convert(a_docx())
    busy = ConverterLending(Counting(fake, fail=ServiceUnavailable("the converter is busy")), tmp_path / "b",
                            timeout=5).start()
    failing = ConverterLending(Counting(fake, fail=ConversionFailed("LibreOffice could not convert the document")),
                               tmp_path / "f", timeout=5).start()
    try:
        with pytest.raises(Unreachable, match="busy"):
            LentConverter(busy.path, timeout=5).convert(a_docx())
        with pytest.raises(ConversionFailed, match="could not convert"):
            LentConverter(failing.path, timeout=5).convert(a_docx())
    finally:
        busy.close()
        failing.close()
    assert not busy.path.exists()


def register_chunks(entries: int, rows: int) -> tuple[bytes, list[dict]]:
    spec = get_form("annex5-query-log")
    data = load_example("annex5-query-log")
    base = data["entries"]
    data["entries"] = [dict(base[i % len(base)], note=f"R{i + 1}") for i in range(entries)]
    form = spec.validate(data)
    options = RenderOptions(provider_name="經濟部")
    return packaged_template(spec.template), spec.render_chunk_contexts(form, options, rows)


def test_a_long_documents_chunks_go_to_the_lent_converters_too_and_a_gone_ones_come_home(lender, fake, tmp_path):
    lending, lent = lender
    template, chunks = register_chunks(120, 20)
    home = Counting(fake, delay=0.2)
    gone = LentConverter(tmp_path / "gone.sock", timeout=5)
    borrowed = LentConverter(lending.path, timeout=30)
    pdf, pages = produce_chunked(template, chunks, home, parallel=1, lent=[borrowed, gone])
    assert len(chunks) == 6 and lent.callers and home.callers  # both converted chunks
    assert len(lent.callers) + len(home.callers) == 6 + 1  # every chunk once, and the page numbers at home
    text = pdftotext(pdf)
    assert [f"R{i}" in text for i in (1, 60, 120)] == [True, True, True]
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert len(document.pages) == pages


def test_a_chunk_the_lender_cannot_convert_fails_the_document(tmp_path, fake):
    failing = ConverterLending(Counting(fake, fail=ConversionFailed("LibreOffice could not convert the document")),
                               tmp_path / "f", timeout=5).start()
    try:
        template, chunks = register_chunks(60, 20)
        with pytest.raises(ConversionFailed, match="could not convert"):
            produce_chunked(template, chunks, Counting(fake, delay=0.2), parallel=1,
                            lent=[LentConverter(failing.path, timeout=5)])
    finally:
        failing.close()
