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


def test_answers_kept_on_disk_are_the_next_process_s_good_and_bad_alike(tmp_path):
    from forms_service.produce.pdfa import _ReadableOutlines

    checker = TrueTypeProgram.readable_outlines.original
    calls = []

    def counted(program, gid):
        calls.append(gid)
        return checker(program, gid)

    good, bad = kai_subset("保存期限"), kai_subset("保存期限", truncate="存")
    path = tmp_path / "cache" / "readable-outlines.bin"
    first = _ReadableOutlines(counted)
    expected = answers(good, first.has_gid) + answers(bad, first.has_gid)
    first.save(path)
    asked = len(calls)

    later = _ReadableOutlines(counted)  # another process
    later.load(path)
    assert answers(good, later.has_gid) + answers(bad, later.has_gid) == expected and expected.count(False) == 1
    assert len(calls) - asked < asked / 2  # the simple glyphs came from the file, the unreadable one too
    path.write_bytes(path.read_bytes()[:-3])  # cut short: ignored, answered afresh
    fresh = _ReadableOutlines(counted)
    fresh.load(path)
    assert fresh.known == {} and answers(bad, fresh.has_gid).count(False) == 1
