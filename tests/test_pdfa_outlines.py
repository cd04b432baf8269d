"""The PDF/A check's remembered glyph-outline answers agree with pikepdf's own, bad glyphs included."""

from __future__ import annotations

import io

from fontTools import subset
from fontTools.ttLib import TTFont
from pikepdf.pdfa._fontprogram import TrueTypeProgram

from forms_service.convert.fonts import font_file
from forms_service.produce import pdfa  # noqa: F401  (installs the remembered check)


def kai_subset(text: str, *, truncate: str = "") -> bytes:
    """TW-Kai cut down to ``text``, with the glyph of ``truncate`` cut short (unreadable)."""
    font = TTFont(font_file("TW-Kai"))
    options = subset.Options()
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    if truncate:
        font = TTFont(io.BytesIO(out.getvalue()), recalcBBoxes=False)
        name = font.getBestCmap()[ord(truncate)]
        glyph = font["glyf"].glyphs[name]
        glyph.data = glyph.data[:14]  # the header promises contours the bytes no longer hold
        out = io.BytesIO()
        font.save(out)
    return out.getvalue()


def answers(data: bytes, has_gid) -> list[bool]:
    program = TrueTypeProgram(data)
    return [bool(has_gid(program, gid)) for gid in range(program.num_glyphs)]


def test_remembered_answers_agree_with_the_checker_for_good_and_bad_glyphs():
    checker = TrueTypeProgram.readable_outlines.original
    good, bad = kai_subset("簽章機關"), kai_subset("簽章機關", truncate="章")
    for data in (good, bad, good, bad):  # twice each: the second time from what was remembered
        assert answers(data, TrueTypeProgram.has_gid) == answers(data, checker)
    assert all(answers(good, TrueTypeProgram.has_gid))
    assert answers(bad, TrueTypeProgram.has_gid).count(False) == 1
