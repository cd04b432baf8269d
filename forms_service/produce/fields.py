"""The signature fields of a document: one per block of its signing order, inside the block.

A template marks each block with a bookmark (``fssig<block id>``) in the block's cell; LibreOffice
exports bookmarks as named destinations — the page and the top-left corner of the bookmark's line
(the conversion asks for it: ``ExportBookmarksToPDFDestination``).  ``locate`` reads them (and
removes them) as the PDF/A is written; after the PDF/A check — whose checker does not judge
interactive forms — ``add_fields`` adds an empty signature field for each block, sized
``FIELD_WIDTH`` × ``FIELD_HEIGHT``, in one incremental revision before any signature, as pyHanko
adds a field when it signs: each signer's stamp goes inside his block, and every empty field shows
who is still to sign.  A block whose bookmark a template lacks (an agency's own template) gets a
field in a row along the bottom of the last page.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import pikepdf
from pikepdf import Array

from ..forms.signatures import BOOKMARK_PREFIX, Block

FIELD_WIDTH = 150.0  # points: a sign-off column of a portrait page is ~155 wide
FIELD_HEIGHT = 54.0  # below the bookmark's line, within a 2 cm row
FALLBACK_BOTTOM = 60.0  # the row of fields without a bookmark, above the page number


@dataclass(frozen=True)
class Placed:
    block: str
    page: int  # 0-based
    rect: tuple[float, float, float, float]


def destinations(document: pikepdf.Pdf) -> dict[str, tuple[int, float, float]]:
    """The blocks' bookmarks as LibreOffice exported them: block id → (page index, x, y)."""
    found: dict[str, tuple[int, float, float]] = {}
    dests = document.Root.get("/Dests")
    if dests is None:
        return found
    pages: dict[tuple[int, int], int] = {page.obj.objgen: index for index, page in enumerate(document.pages)}
    for name, dest in dests.items():
        block = _block_of(str(name))
        if block and isinstance(dest, Array) and len(dest) >= 4 and str(dest[1]) == "/XYZ":
            page = pages.get(dest[0].objgen)
            if page is not None:
                found[block] = (page, float(dest[2]), float(dest[3]))
    return found


def locate(document: pikepdf.Pdf, blocks: Iterable[Block]) -> list[Placed]:
    """Where each of ``blocks`` gets its field: at its bookmark, or along the bottom of the last
    page; every ``fssig`` destination is removed from ``document``."""
    marks = destinations(document)
    _remove_marks(document)
    placed: list[Placed] = []
    fallback = 0
    for block in blocks:
        if block.id in marks:
            page, x, y = marks[block.id]
            rect = (x - 2, y - FIELD_HEIGHT - 4, x - 2 + FIELD_WIDTH, y - 4)
        else:
            page = len(document.pages) - 1
            left = 40 + fallback * (FIELD_WIDTH + 10)
            rect = (left, FALLBACK_BOTTOM, left + FIELD_WIDTH, FALLBACK_BOTTOM + FIELD_HEIGHT)
            fallback += 1
        placed.append(Placed(block.id, page, rect))
    return placed


def add_fields(pdf: bytes, placed: Iterable[Placed]) -> bytes:
    """``pdf`` with an empty signature field at each placement, in one incremental revision."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign.fields import SigFieldSpec, append_signature_field

    placed = list(placed)
    if not placed:
        return pdf
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    for field in placed:
        box = tuple(round(v) for v in field.rect)
        append_signature_field(writer, SigFieldSpec(field.block, on_page=field.page, box=box))  # type: ignore[arg-type]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _remove_marks(document: pikepdf.Pdf) -> None:
    dests = document.Root.get("/Dests")
    if dests is None:
        return
    for name in [str(n) for n in dests if _block_of(str(n))]:
        del dests[name]
    if not dests.keys():
        del document.Root["/Dests"]


def _block_of(name: str) -> str:
    """The block a destination marks ("" for another destination); LibreOffice writes the name as
    the bookmark's, escaping what a PDF name cannot hold."""
    name = name.lstrip("/")
    return name[len(BOOKMARK_PREFIX):] if name.startswith(BOOKMARK_PREFIX) and name[len(BOOKMARK_PREFIX):].isalpha() \
        else ""
