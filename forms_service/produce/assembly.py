"""One document from a long document's converted chunks: merged, with the page numbers laid over.

Pure pikepdf (qpdf), bytes in and bytes out, so that it can run in the PDF worker process
(``pdf_worker``): merging and writing a 600-page 附件5 is ~4 s of qpdf, work a web process
would otherwise do between its requests.  Opening the chunks tells how many pages the overlay
must have; the overlay is made by LibreOffice (``numbers_for``) from the template's footer — in
the worker's case while the worker holds the opened chunks.
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
    with Merge(pdfs) as merging:
        return merging.numbered(numbers_for(merging.pages))


class Merge:
    """A long document's chunks opened, which tells the page count (so that the page-number
    overlay can be made), then joined, numbered and written by ``numbered``."""

    def __init__(self, pdfs: list[bytes]):
        # qpdf reads a file directly; through a Python file object every read is a callback, which
        # made opening LibreOffice's object-rich chunks twice as slow.  The files stay until
        # ``close``: the joined document reads its pages from them when it is written.
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

    def numbered(self, numbers_pdf: bytes) -> bytes:
        """The chunks joined into the first one (keeping its PDF/A metadata and output intent),
        each page overlaid by its page of ``numbers_pdf``, written."""
        merged = self._parts[0]
        with pikepdf.open(io.BytesIO(numbers_pdf)) as overlay:
            if len(overlay.pages) != self.pages:
                raise ConversionFailed(
                    f"the page-number overlay has {len(overlay.pages)} pages, the document {self.pages}")
            for part in self._parts[1:]:
                merged.pages.extend(part.pages)
            # Each chunk had its own structure tree; merged, it would describe only the first chunk.
            for key in ("/StructTreeRoot", "/MarkInfo"):
                if key in merged.Root:
                    del merged.Root[key]
            for page, numbers in zip(merged.pages, overlay.pages, strict=True):
                page.add_overlay(numbers, rect=None)
            out = io.BytesIO()
            merged.save(out)
        return out.getvalue()

    def close(self) -> None:
        for part in self._parts:
            part.close()
        self._parts = []
        self._folder.cleanup()

    def __enter__(self) -> Merge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
