"""One document from a long document's converted chunks: merged, with the page numbers laid over.

Pure pikepdf (qpdf), bytes in and bytes out, so that it can run in the PDF worker process
(``pdf_worker``): merging and writing a 600-page 附件5 is ~4 s of qpdf, work a web process
would otherwise do between its requests.  The merge comes first and tells how many pages the
overlay must have; the overlay is made by LibreOffice (``numbers_for``) from the template's footer.
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
    (the page-number overlay, made for the merged document's page count)."""
    with merge(pdfs) as merged:
        return numbered(merged, numbers_for(len(merged.pages)))


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


def merge(pdfs: list[bytes]) -> pikepdf.Pdf:
    """One document from the chunks, keeping the first chunk's PDF/A metadata and output intent."""
    # qpdf reads a file directly; through a Python file object every read is a callback, which
    # made opening LibreOffice's object-rich chunks twice as slow.
    with tempfile.TemporaryDirectory(prefix="forms-merge-") as tmp:
        paths = []
        for index, pdf in enumerate(pdfs):
            path = Path(tmp) / f"{index}.pdf"
            path.write_bytes(pdf)
            paths.append(path)
        merged = pikepdf.open(paths[0])
        for path in paths[1:]:
            with pikepdf.open(path) as part:
                merged.pages.extend(part.pages)
        merged = _detached(merged)
    # Each chunk had its own structure tree; merged, it would describe only the first chunk.
    for key in ("/StructTreeRoot", "/MarkInfo"):
        if key in merged.Root:
            del merged.Root[key]
    return merged


def _detached(pdf: pikepdf.Pdf) -> pikepdf.Pdf:
    """The same document held in memory, so the temporary files can go."""
    buffer = io.BytesIO()
    pdf.save(buffer)
    pdf.close()
    return pikepdf.open(buffer)
