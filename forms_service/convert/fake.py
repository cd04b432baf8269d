"""``FakeConverter``: the ``Converter`` protocol without LibreOffice, for fast unit tests.

It is not a layout engine: it sets the text of the .docx (paragraphs and table cells, in document
order; page breaks kept) in TW-Kai on A4 pages, embeds the font subset it used, and has pikepdf
make and validate it as PDF/A-2b.  That is enough for everything after conversion — the PDF/A
check, signing, storing, previews, verification — to run on a real PDF in milliseconds.  The tests of
the pool run the real LibreOffice, and so do the integration tests; the same contract suite runs
on both (``tests/contract/test_converter.py``).
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
import zipfile
from collections import OrderedDict
from html import unescape
from pathlib import Path

import pikepdf
from fontTools.ttLib import TTFont
from pikepdf import pdfa
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.text import TextBox, TextBoxStyle
from pyhanko.pdf_utils.writer import PdfFileWriter

from signing.stamp import FontPrograms, StampFont, StampGlyphsFactory

from ..errors import ConfigError
from .fonts import font_file
from .protocol import check_docx

A4 = (595, 842)
MARGIN = 50
FONT_SIZE = 10
LEADING = 14
CHARS_PER_LINE = 46  # full-width characters across A4 between the margins at 10 pt
LINES_PER_PAGE = (A4[1] - 2 * MARGIN) // LEADING

_PARAGRAPH = re.compile(r"<w:p[ >].*?</w:p>|<w:p/>", re.DOTALL)
_BOOKMARK = re.compile(r'<w:bookmarkStart [^>]*w:name="([^"]+)"')
_TEXT_OR_BREAK = re.compile(r"<w:t(?: [^>]*)?>(.*?)</w:t>|<w:br w:type=\"page\"/>|<w:tab/>", re.DOTALL)
PAGE_BREAK = "\f"

class FakeConverter:
    def __init__(self, font_path: str | None = None, *, expected: str = "", cache_dir: Path | None = None):
        """``expected``: text the documents will hold, whose characters the first font subset holds
        too (each new character later builds the subset again); ``cache_dir``: where font subsets
        are kept for later runs (``StampFont``)."""
        path = font_path or font_file("TW-Kai")
        if path is None:
            raise ConfigError("the fake converter sets text in TW-Kai: install fonts-cns11643-kai")
        self._font = StampFont(path, font_size=FONT_SIZE, expected=expected, cache_dir=cache_dir)
        self._lock = threading.Lock()
        # The output depends on the text alone, and tests convert the same examples again and again.
        self._made: OrderedDict[str, bytes] = OrderedDict()
        self._cmap: frozenset[str] | None = None
        self._programs = FontPrograms(size=4)
        self.conversions = 0

    def convert(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> bytes:
        check_docx(docx)
        lines = _wrap(docx_text(docx))
        key = hashlib.sha256("\n".join(lines).encode()).hexdigest()
        with self._lock:
            self.conversions += 1
            if key in self._made:
                self._made.move_to_end(key)
                return self._made[key]
        pdf = self._write(lines)
        with self._lock:
            self._made[key] = pdf
            while len(self._made) > 64:
                self._made.popitem(last=False)
        return pdf

    def _write(self, lines: list[str]) -> bytes:
        writer = PdfFileWriter()
        printable = self._printable()
        lines, marks = _bookmarks(lines)
        lines = ["".join(c for c in line if c in printable or c == PAGE_BREAK) for line in lines]
        chars = set("".join(lines)) - {PAGE_BREAK}
        box = None
        if any(not c.isspace() for c in chars):  # a font with no glyph used cannot be embedded
            # The subset holds every character converted so far (a few hundred): embedded whole, it is
            # compressed once per subset instead of compiled again for each document (0.9 s each).
            font = self._font.subset_for(chars)
            glyphs = StampGlyphsFactory(str(font), font_size=FONT_SIZE, programs=self._programs, whole=True)
            style = TextBoxStyle(font=glyphs, leading=LEADING)
            box = TextBox(style, writer, box=BoxConstraints(width=A4[0] - 2 * MARGIN, height=A4[1] - 2 * MARGIN))
        for page in _pages(lines):  # one text box, so the pages share one embedded font
            _add_page(writer, box, page)
        written = io.BytesIO()
        writer.write(written)
        # pikepdf adds the sRGB output intent and the PDF/A identification: the fake's documents are
        # real PDF/A-2b, which the producer checks like LibreOffice's (``produce/pdfa.py``), so they
        # are not validated here too (~80 ms a document; the converter contract checks the fake's).
        with pikepdf.open(io.BytesIO(written.getvalue())) as document:
            _destinations(document, lines, marks)
            pdfa.prepare(document, "2b")
            out = io.BytesIO()
            document.save(out, **pdfa.resolve_save_kwargs("2b"))
        return out.getvalue()

    def close(self) -> None:
        pass

    def _printable(self) -> frozenset[str]:
        """The characters TW-Kai has (another would select .notdef, which PDF/A forbids)."""
        if self._cmap is None:
            with TTFont(self._font.font_path, lazy=True) as font:
                cmap = font.getBestCmap() or {}
            self._cmap = frozenset(chr(code) for code in cmap if chr(code).isprintable())
        return self._cmap


def docx_text(docx: bytes) -> list[str]:
    """The body's paragraphs (table cells included), in order; a page break is its own ``\\f`` line."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    lines: list[str] = []
    for paragraph in _PARAGRAPH.findall(xml):
        text = "".join(f"\x01{name}\x02" for name in _BOOKMARK.findall(paragraph))
        for match in _TEXT_OR_BREAK.finditer(paragraph):
            token = match.group(0)
            if token.startswith("<w:br"):
                lines.append(text)
                lines.append(PAGE_BREAK)
                text = ""
            elif token == "<w:tab/>":
                text += " "
            else:
                text += unescape(match.group(1))
        lines.append(text)
    return lines


_MARK = re.compile(r"\x01([^\x02]*)\x02")


def _bookmarks(lines: list[str]) -> tuple[list[str], dict[int, list[str]]]:
    """The lines without their bookmark marks, and the bookmarks' names by line index."""
    marks: dict[int, list[str]] = {}
    clean = []
    for index, line in enumerate(lines):
        names = _MARK.findall(line)
        if names:
            marks[index] = names
        clean.append(_MARK.sub("", line))
    return clean, marks


def _destinations(document: pikepdf.Pdf, lines: list[str], marks: dict[int, list[str]]) -> None:
    """Each bookmark as a named destination at its line, as LibreOffice exports them."""
    if not marks:
        return
    page, row, where = 0, 0, {}
    for index, line in enumerate(lines):
        if line == PAGE_BREAK or row >= LINES_PER_PAGE:
            page, row = page + 1, 0
        if index in marks:
            where[index] = (page, row)
        if line != PAGE_BREAK:
            row += 1
    dests = pikepdf.Dictionary()
    for index, names in marks.items():
        page_index, line_row = where[index]
        page_index = min(page_index, len(document.pages) - 1)
        top = A4[1] - MARGIN - line_row * LEADING
        for name in names:
            dests[pikepdf.Name("/" + name)] = pikepdf.Array([document.pages[page_index].obj, pikepdf.Name.XYZ,
                                                            MARGIN, top, 0])
    document.Root.Dests = dests


def _wrap(paragraphs: list[str]) -> list[str]:
    lines = []
    for paragraph in paragraphs:
        if paragraph == PAGE_BREAK or len(paragraph) <= CHARS_PER_LINE:
            lines.append(paragraph)
        else:
            lines += [paragraph[i:i + CHARS_PER_LINE] for i in range(0, len(paragraph), CHARS_PER_LINE)]
    return lines


def _pages(lines: list[str]) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    for line in lines:
        if line == PAGE_BREAK or len(pages[-1]) >= LINES_PER_PAGE:
            pages.append([])
        if line != PAGE_BREAK:
            pages[-1].append(line)
    return [page for page in pages if page] or [[""]]


def _add_page(writer: PdfFileWriter, box: TextBox | None, lines: list[str]) -> None:
    content, resources = b"", generic.DictionaryObject()
    if box is not None:
        box.content = "\n".join(lines)
        content = b"q 1 0 0 1 %d %d cm " % (MARGIN, MARGIN) + box.render() + b" Q"
        resources = box.resources.as_pdf_object()
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, *A4)]),
        generic.NameObject("/Resources"): resources,
        generic.NameObject("/Contents"): writer.add_object(generic.StreamObject(stream_data=content)),
    }))
