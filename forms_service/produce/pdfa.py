"""PDF/A checked, not assumed: every converted document is validated as PDF/A-2b before signing.

pikepdf's checker (``pikepdf.pdfa``) judges what pikepdf writes, so the document is written by it
and the written bytes are validated; those bytes are what gets signed.  Two things LibreOffice
adds cannot be judged by the checker and carry nothing the archive needs: the ``/DocChecksum``
trailer key (its own bookkeeping) and an ``/OpenAction`` that only opens the first page.  They are
removed first; anything else the checker cannot pass makes the conversion an error, never an
archived record.
"""

from __future__ import annotations

import io
import logging
from typing import Any

import pikepdf
from pikepdf import pdfa

from ..errors import ConversionFailed

FLAVOUR = "2b"

# pikepdf reads LibreOffice's XMP dates and says so at every document; the verdict is what counts.
logging.getLogger("pikepdf").setLevel(logging.ERROR)


def conform(pdf: bytes) -> tuple[bytes, dict[str, Any]]:
    """The document as validated PDF/A-2b, and the checker's verdict; ``ConversionFailed`` if not."""
    try:
        document = pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as err:
        raise ConversionFailed(f"the converted document cannot be read: {err}") from err
    with document:
        if "/DocChecksum" in document.trailer:
            del document.trailer["/DocChecksum"]
        action = document.Root.get("/OpenAction")
        if isinstance(action, pikepdf.Array):  # a destination (open at a page), not an action to run
            del document.Root["/OpenAction"]
        out = io.BytesIO()
        try:
            report = pdfa.save(document, out, FLAVOUR, repair=False)
        except pdfa.PdfaError as err:
            first = str(err).splitlines()[:3]
            raise ConversionFailed("the converted document is not PDF/A-2b: " + " / ".join(first)) from err
    return out.getvalue(), {"flavour": "PDF/A-2b", "verdict": report.verdict,
                            "checked_by": f"pikepdf {pikepdf.__version__}"}
