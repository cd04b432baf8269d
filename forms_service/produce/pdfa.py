"""PDF/A checked, not assumed: every converted document is validated as PDF/A-2b before signing.

pikepdf's checker (``pikepdf.pdfa``) judges what pikepdf writes, so the document is written by it
and the written bytes are validated; those bytes are what gets signed.  Two things LibreOffice
adds cannot be judged by the checker and carry nothing the archive needs: the ``/DocChecksum``
trailer key (its own bookkeeping) and an ``/OpenAction`` that only opens the first page.  They are
removed first; anything else the checker cannot pass makes the conversion an error, never an
archived record.
"""

from __future__ import annotations

import gc
import hashlib
import io
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import pdfa

from ..errors import ConversionFailed
from ..forms.signatures import Block
from .fields import Placed, locate

FLAVOUR = "2b"

# pikepdf reads LibreOffice's XMP dates and fontTools the subset fonts' header dates, and both say
# so at every document; the verdict is what counts.
logging.getLogger("pikepdf").setLevel(logging.ERROR)
logging.getLogger("fontTools.ttLib.tables._h_e_a_d").setLevel(logging.ERROR)


class _ReadableOutlines:
    """The checker's "can this glyph's outline be read" for TrueType glyphs, remembered.

    The checker decodes every point of every embedded glyph (``TrueTypeProgram.has_gid``): ~0.6 ms per
    TW-Kai glyph, ~0.2 s of a form.  Whether a simple glyph (one without components) decodes
    depends on its bytes alone, and LibreOffice embeds the same bytes for the same character in
    every document, so the answer is kept per glyph bytes (a bounded number of them).  Composite
    glyphs and CFF fonts take the checker's own path.
    """

    LIMIT = 50_000  # glyphs remembered; TW-Kai has ~14,000
    RECORD = 17  # on disk: a 16-byte digest of the glyph's bytes, then 1 (readable) or 0

    def __init__(self, original: Any):
        self.original = original
        self.known: dict[bytes, bool] = {}  # by the digest of the glyph's bytes
        self.loaded = 0

    def load(self, path: Path) -> None:
        """Add the answers an earlier process kept in ``path`` (a one-shot command starts cold
        otherwise: ~0.3 s of a form).  A damaged file is ignored: the answers are found again."""
        try:
            data = path.read_bytes()
        except OSError:
            return
        if len(data) % self.RECORD:
            return
        for start in range(0, min(len(data), self.LIMIT * self.RECORD), self.RECORD):
            self.known.setdefault(data[start:start + 16], data[start + 16] == 1)
        self.loaded = len(self.known)

    def save(self, path: Path) -> None:
        """Keep the answers for the next process, with those another process kept meanwhile."""
        if len(self.known) <= self.loaded:
            return
        self.load(path)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{os.getpid()}.part")
        part.write_bytes(b"".join(digest + (b"\x01" if ok else b"\x00") for digest, ok in self.known.items()))
        part.replace(path)  # whole or not at all, whoever writes last
        self.loaded = len(self.known)

    def has_gid(self, program: Any, gid: int) -> bool:
        if program.is_cff or not 0 <= gid < program.num_glyphs:
            return bool(self.original(program, gid))
        glyph = program._font["glyf"].glyphs.get(program._order[gid])
        data = getattr(glyph, "data", None)
        # Simple glyphs only: a positive contour count in the first two bytes.
        if not data or len(data) < 2 or int.from_bytes(data[:2], "big", signed=True) <= 0:
            return bool(self.original(program, gid))
        digest = hashlib.blake2b(data, digest_size=16).digest()
        readable = self.known.get(digest)
        if readable is None:
            readable = bool(self.original(program, gid))
            if len(self.known) < self.LIMIT:
                self.known[digest] = readable
        return readable


def _remember_readable_outlines() -> None:
    from pikepdf.pdfa import _fontprogram

    program: Any = _fontprogram.TrueTypeProgram
    if not hasattr(program, "readable_outlines"):  # once per process
        program.readable_outlines = _ReadableOutlines(program.has_gid)
        program.has_gid = lambda self, gid: program.readable_outlines.has_gid(self, gid)


_remember_readable_outlines()


def _outlines() -> _ReadableOutlines:
    from pikepdf.pdfa import _fontprogram

    outlines: _ReadableOutlines = _fontprogram.TrueTypeProgram.readable_outlines  # type: ignore[attr-defined]
    return outlines


def load_readable_outlines(path: Path) -> None:
    """The glyph answers kept by earlier processes (``components`` calls it at start)."""
    _outlines().load(path)


def save_readable_outlines(path: Path) -> None:
    """Keep this process's glyph answers for the next one (``components`` calls it at close)."""
    _outlines().save(path)


def conform(pdf: bytes) -> tuple[bytes, dict[str, Any]]:
    """The document as validated PDF/A-2b, and the checker's verdict; ``ConversionFailed`` if not."""
    written = write(pdf)
    return written, check(written)


def write(pdf: bytes) -> bytes:
    """The converted document as pikepdf writes it for PDF/A-2b (not yet judged: ``check`` judges
    these very bytes, the first revision of what gets signed)."""
    return write_located(pdf, ())[0]


def write_located(pdf: bytes, blocks: Iterable[Block]) -> tuple[bytes, list[Placed]]:
    """``write``, and where each of ``blocks`` gets its signature field (``fields.locate``: the
    blocks' bookmarks, removed from what is written)."""
    try:
        document = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as err:
        raise ConversionFailed(f"the converted document cannot be read: {err}") from err
    with document:
        placed = locate(document, blocks)
        if "/DocChecksum" in document.trailer:
            del document.trailer["/DocChecksum"]
        action = document.Root.get("/OpenAction")
        if isinstance(action, pikepdf.Array):  # a destination (open at a page), not an action to run
            del document.Root["/OpenAction"]
        out = io.BytesIO()
        document.save(out, **_save_kwargs())
    return out.getvalue(), placed


def check(written: bytes) -> dict[str, Any]:
    """The checker's verdict on bytes from ``write``; ``ConversionFailed`` unless they pass.

    A module-level function of bytes in and a dict out, so that a long document can be checked in
    another process while it is signed (``produce/producer.py``)."""
    report = pdfa.validate_written(io.BytesIO(written), FLAVOUR, save_kwargs=_save_kwargs())
    if report.verdict != "pass":
        # The checker counts any warning raised while it parses a content stream as a fault of
        # the stream, and ``warnings.catch_warnings`` is process-wide: a warning from another
        # thread (an unclosed socket collected meanwhile) fails a good document.  A real fault
        # fails every time, so a second verdict decides.
        gc.collect()
        report = pdfa.validate_written(io.BytesIO(written), FLAVOUR, save_kwargs=_save_kwargs())
        if report.verdict != "pass":
            first = str(pdfa.PdfaError(report)).splitlines()[:3]
            raise ConversionFailed("the converted document is not PDF/A-2b: " + " / ".join(first))
    return {"flavour": "PDF/A-2b", "verdict": report.verdict, "checked_by": f"pikepdf {pikepdf.__version__}"}


def _save_kwargs() -> dict[str, Any]:
    # Without object streams, as LibreOffice wrote it: pyHanko's modification analysis, run at every
    # signature and every verification, reads objects from a stream ~40% slower; the file is ~8% larger.
    return dict(pdfa.resolve_save_kwargs(FLAVOUR, object_stream_mode=pikepdf.ObjectStreamMode.disable))
