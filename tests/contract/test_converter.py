"""The Converter contract, against the warm LibreOffice pool (the real LibreOffice)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import zipfile

import pytest

from forms_service.convert import Converter, LibreOfficePool
from forms_service.errors import ConversionFailed, InputError


@pytest.fixture(params=["libreoffice-pool"])
def converter(request, components) -> Converter:
    return components.converter


def test_implements_the_protocol(converter):
    assert isinstance(converter, Converter)


def test_output_is_pdfa2b_with_every_font_embedded_and_tw_kai_among_them(converter, annex2_docx, tmp_path):
    pdf = converter.convert(annex2_docx)
    assert pdf.startswith(b"%PDF-")
    assert b'pdfaid:part="2"' in pdf or b"<pdfaid:part>2</pdfaid:part>" in pdf
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts, "no fonts listed"
    assert all(line.split()[-5] == "yes" for line in fonts), fonts
    assert any("TW-Kai" in line for line in fonts)


@pytest.mark.parametrize("garbage", [b"", b"hello", b"PK\x03\x04garbage", b"%PDF-1.7"])
def test_what_is_not_a_docx_is_refused_before_conversion(converter, garbage):
    with pytest.raises(InputError, match="not a Word"):
        converter.convert(garbage)


def test_a_zip_without_a_word_document_is_refused(converter):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InputError, match="word/document.xml"):
        converter.convert(buf.getvalue())


def test_a_killed_libreoffice_is_restarted_and_the_next_document_converts(converter, annex2_docx):
    assert isinstance(converter, LibreOfficePool)
    for worker in converter._workers:
        if worker.process is not None:
            os.killpg(worker.process.pid, signal.SIGKILL)
    pdf = converter.convert(annex2_docx)
    assert pdf.startswith(b"%PDF-")


def test_a_conversion_over_the_time_limit_is_stopped_and_the_pool_recovers(annex2_docx, tmp_path):
    with LibreOfficePool(workers=1, timeout=0.05, work_dir=tmp_path / "pool") as pool:
        with pytest.raises(ConversionFailed, match="longer than"):
            pool.convert(annex2_docx)
        pool.timeout = 30
        assert pool.convert(annex2_docx).startswith(b"%PDF-")
        assert pool.status()[0]["restarts"] >= 1
