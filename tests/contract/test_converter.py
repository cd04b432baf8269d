"""The Converter contract, on the fake converter of the unit tests, the lazily started one of the jobs
process, and the warm LibreOffice pool."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import zipfile

import pytest

from forms_service.convert import Converter, LibreOfficePool
from forms_service.convert.lazy import LazyConverter
from forms_service.errors import ConversionFailed, InputError


@pytest.fixture(params=["fake", "lazy", pytest.param("libreoffice-pool", marks=pytest.mark.integration)])
def converter(request) -> Converter:
    if request.param == "fake":
        return request.getfixturevalue("fake_converter")
    if request.param == "lazy":  # the jobs process's: the converter it wraps started at the first document
        fake = request.getfixturevalue("fake_converter")
        return LazyConverter(lambda: fake)
    return request.getfixturevalue("components").converter


def fonts_of(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]


def test_implements_the_protocol(converter):
    assert isinstance(converter, Converter)


def test_output_passes_the_pdfa_2b_check_with_every_font_embedded(converter, annex2_docx, tmp_path):
    from forms_service.produce.pdfa import conform

    pdf = converter.convert(annex2_docx)
    assert pdf.startswith(b"%PDF-")
    assert conform(pdf)[1]["verdict"] == "pass"  # pikepdf's PDF/A-2b validation, not a marker
    fonts = fonts_of(pdf, tmp_path)
    assert fonts, "no fonts listed"
    assert all(line.split()[-5] == "yes" for line in fonts), fonts


def test_the_kai_face_prints_in_tw_kai(converter, annex2_docx, tmp_path):
    assert any("TW-Kai" in line for line in fonts_of(converter.convert(annex2_docx), tmp_path))


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


# --- the pool's own supervision ------------------------------------------------------------

def test_a_killed_libreoffice_is_restarted_and_the_next_document_converts(components, annex2_docx):
    from prometheus_client import REGISTRY

    def restarts() -> float:
        return REGISTRY.get_sample_value("forms_converter_restarts_total") or 0.0

    pool = components.converter
    assert isinstance(pool, LibreOfficePool)
    before = restarts()
    for worker in pool.status():
        if worker["pid"] is not None:
            os.killpg(worker["pid"], signal.SIGKILL)
    pdf = pool.convert(annex2_docx)
    assert pdf.startswith(b"%PDF-")
    assert restarts() >= before + 1  # counted for /metrics


def test_a_conversion_over_the_time_limit_is_stopped_and_the_pool_recovers(components, annex2_docx, tmp_path):
    with LibreOfficePool(workers=1, timeout=0.05, work_dir=tmp_path / "pool") as pool:
        with pytest.raises(ConversionFailed, match="longer than"):
            pool.convert(annex2_docx)
        pool.timeout = 30
        assert pool.convert(annex2_docx).startswith(b"%PDF-")
        assert pool.status()[0]["restarts"] >= 1


def test_the_pool_leaves_nothing_behind_killed_or_stopped(components, annex2_docx, tmp_path):
    """Profiles and temporary files in the run folder, removed on close; the pipes LibreOffice makes
    in /tmp whatever TMPDIR says — ours and its single-instance one — removed when a worker is
    killed and restarted, and on close."""
    from forms_service.convert.pool import PIPE_DIR

    def ours() -> set[str]:
        return {p.name for p in PIPE_DIR.glob(f"OSL_PIPE_{os.getuid()}_*")}

    before = ours()
    run_dir = tmp_path / "run"
    with LibreOfficePool(workers=1, run_dir=run_dir) as pool:
        [folder] = list(run_dir.iterdir())
        assert folder.name.startswith(f"lo-{os.getpid()}-")
        os.killpg(pool.status()[0]["pid"], signal.SIGKILL)  # killed mid-life: restarted on the next document
        assert pool.convert(annex2_docx).startswith(b"%PDF-")
        assert len(ours() - before) <= 2  # only the running worker's pipes
    assert list(run_dir.iterdir()) == []
    assert ours() - before == set()


def test_a_crashed_processs_run_folder_and_pipes_are_removed_at_the_next_start(components, tmp_path):
    import socket

    from forms_service.convert.pool import office_pipes, sweep_stale_runs

    run_dir = tmp_path / "run"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = run_dir / f"lo-{dead.pid}-abcd1234"
    (stale / "worker-0" / "profile").mkdir(parents=True)
    alive = run_dir / f"lo-{os.getpid()}-efgh5678"
    alive.mkdir()
    pipes = office_pipes(stale / "worker-0" / "profile", f"forms-{dead.pid}-0-deadbeef")
    sockets = []
    for path in pipes:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sockets.append(sock)
    try:
        assert sweep_stale_runs(run_dir) == [stale]
        assert not stale.exists() and alive.exists()  # a live process's folder stays
        assert [p.exists() for p in pipes] == [False, False]
    finally:
        for sock in sockets:
            sock.close()
