"""One document from a long document's converted chunks: merged, with the page numbers laid over.

Pure pikepdf (qpdf), bytes in and bytes out, so that it can run in the PDF worker process
(``pdf_worker``): merging and writing a 600-page 附件5 is ~4 s of qpdf, work a web process
would otherwise do between its requests.  Opening the chunks tells how many pages the overlay
must have; the overlay is made by LibreOffice (``numbers_for``) from the template's footer — in
the worker's case while the chunks are being joined.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from pathlib import Path

import pikepdf

from ..errors import ConversionFailed


def assemble(pdfs: list[bytes], numbers_for: Callable[[int], bytes]) -> bytes:
    """The chunks in order as one PDF, each page overlaid with its page of ``numbers_for(pages)``
    (the page-number overlay, made for the document's page count)."""
    merging = Merge(pdfs)
    numbers = numbers_for(merging.pages)
    with merging.joined() as merged:
        return numbered(merged, numbers)


def numbered(merged: pikepdf.Pdf, numbers_pdf: bytes) -> bytes:
    """``merged`` written with each page overlaid by its page of ``numbers_pdf``."""
    with pikepdf.open(io.BytesIO(numbers_pdf)) as overlay:
        if len(overlay.pages) != len(merged.pages):
            raise ConversionFailed(
                f"the page-number overlay has {len(overlay.pages)} pages, the document {len(merged.pages)}")
        for page, numbers in zip(merged.pages, overlay.pages, strict=True):
            page.add_overlay(numbers, rect=None)
        out = io.BytesIO()
        merged.save(out)
    return out.getvalue()


class Merge:
    """A merge in two steps: the chunks opened, which tells the page count (so the page-number
    overlay can be made meanwhile), then joined into one document."""

    def __init__(self, pdfs: list[bytes]):
        # qpdf reads a file directly; through a Python file object every read is a callback, which
        # made opening LibreOffice's object-rich chunks twice as slow.
        self._folder = tempfile.TemporaryDirectory(prefix="forms-merge-")
        self._parts: list[pikepdf.Pdf] = []
        try:
            for index, pdf in enumerate(pdfs):
                path = Path(self._folder.name) / f"{index}.pdf"
                path.write_bytes(pdf)
                self._parts.append(pikepdf.open(path))
        except BaseException:
            self.close()
            raise
        self.pages = sum(len(part.pages) for part in self._parts)

    def joined(self) -> pikepdf.Pdf:
        """One document from the chunks, keeping the first chunk's PDF/A metadata and output intent."""
        try:
            merged = self._parts[0]
            for part in self._parts[1:]:
                merged.pages.extend(part.pages)
            merged = _detached(merged)
        finally:
            self.close()
        # Each chunk had its own structure tree; merged, it would describe only the first chunk.
        for key in ("/StructTreeRoot", "/MarkInfo"):
            if key in merged.Root:
                del merged.Root[key]
        return merged

    def close(self) -> None:
        for part in self._parts:
            part.close()
        self._parts = []
        self._folder.cleanup()


def _detached(pdf: pikepdf.Pdf) -> pikepdf.Pdf:
    """The same document held in memory, so the temporary files can go."""
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    return pikepdf.open(buffer)
