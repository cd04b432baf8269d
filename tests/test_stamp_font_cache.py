"""``StampFont``'s cache of font subsets (``signing/stamp.py``): made once by whichever process first
needs one, taken by the others and by later runs; made again when the font changes; the subsets
used last kept; a cache that cannot be written only slower."""

from __future__ import annotations

import os

import pytest
from fontTools.ttLib import TTFont

from forms_service.convert.fonts import font_file
from signing import stamp
from signing.stamp import StampFont

KAI = font_file("TW-Kai")  # fonts-cns11643-kai, which ./dev installs


@pytest.fixture(scope="module")
def small_font(tmp_path_factory):
    """A TW-Kai subset of a few characters: a real font, quick to subset again."""
    assert KAI is not None, "TW-Kai is not installed: run ./dev setup"
    folder = tmp_path_factory.mktemp("font")
    maker = StampFont(KAI, work_dir=folder)  # its folder goes with it
    kept = folder / "small.ttf"
    kept.write_bytes(maker.subset_for(set("中華民國經濟部王小明林森")).read_bytes())
    return kept


def not_made_here(self, chars):
    raise AssertionError("made again, not taken from the cache")


def test_a_subset_is_made_once_and_taken_by_another_process(tmp_path, small_font, monkeypatch):
    cache = tmp_path / "fonts"
    one = StampFont(small_font, work_dir=tmp_path / "one", cache_dir=cache)
    first = one.subset_for(set("王小明"))
    assert len(list(cache.glob("*.ttf"))) == 1
    monkeypatch.setattr(StampFont, "_made", not_made_here)
    two = StampFont(small_font, work_dir=tmp_path / "two", cache_dir=cache)
    second = two.subset_for(set("王小明"))
    assert second != first and second.read_bytes() == first.read_bytes()  # each process its own copy
    assert {ord(c) for c in "王小明"} <= set(TTFont(second).getBestCmap())


def test_a_changed_font_makes_new_subsets(tmp_path, small_font):
    cache, font = tmp_path / "fonts", tmp_path / "font.ttf"
    font.write_bytes(small_font.read_bytes())
    StampFont(font, work_dir=tmp_path, cache_dir=cache).subset_for(set("林森"))
    os.utime(font, ns=(1, 1))  # the same name, another file
    StampFont(font, work_dir=tmp_path, cache_dir=cache).subset_for(set("林森"))
    assert len(list(cache.glob("*.ttf"))) == 2


def test_the_subsets_used_last_are_kept_and_a_process_keeps_its_own_copy(tmp_path, small_font, monkeypatch):
    monkeypatch.setattr(stamp, "KEPT", 2)
    cache = tmp_path / "fonts"
    font = StampFont(small_font, work_dir=tmp_path, cache_dir=cache)
    oldest = font.subset_for(set("王"))
    os.utime(next(cache.glob("*.ttf")), ns=(1, 1))
    for chars in ("小", "明"):
        font.subset_for(set(chars))
    assert len(list(cache.glob("*.ttf"))) == 2
    assert oldest.exists() and font.subset_for(set("王")).exists()  # in use here: still readable


def test_a_cache_that_cannot_be_written_is_only_slower(tmp_path, small_font):
    blocked = tmp_path / "fonts"
    blocked.write_text("a file where the folder would be")
    font = StampFont(small_font, work_dir=tmp_path, cache_dir=blocked)
    made = font.subset_for(set("王小明"))
    assert {ord(c) for c in "王小明"} <= set(TTFont(made).getBestCmap())
    assert list(tmp_path.glob(".*.part")) == []


def test_a_kept_subset_holding_every_character_asked_for_serves_the_one_of_fewest_first(tmp_path, small_font,
                                                                                      monkeypatch):
    cache = tmp_path / "fonts"
    StampFont(small_font, work_dir=tmp_path, cache_dir=cache).subset_for(set("王小明"))
    StampFont(small_font, work_dir=tmp_path, cache_dir=cache).subset_for(set("王林"))  # 林: not held, made
    assert len(list(cache.glob("*.ttf"))) == 2
    made = StampFont._made
    monkeypatch.setattr(StampFont, "_made", not_made_here)
    restarted = StampFont(small_font, work_dir=tmp_path, cache_dir=cache)
    fewest = restarted.subset_for(set("王"))
    assert {ord(c) for c in "王林"} <= set(TTFont(fewest).getBestCmap())
    assert ord("明") not in TTFont(fewest).getBestCmap()
    assert restarted.subset_for(set("林")) == fewest  # already held: the same file
    another = StampFont(small_font, work_dir=tmp_path, cache_dir=cache)
    assert {ord(c) for c in "王小明"} <= set(TTFont(another.subset_for(set("小"))).getBestCmap())
    monkeypatch.setattr(StampFont, "_made", made)
    grown = restarted.subset_for(set("森"))  # held by none: made, holding what the one in use held too
    assert {ord(c) for c in "森王林"} <= set(TTFont(grown).getBestCmap())
    assert len(list(cache.glob("*.ttf"))) == 3 and len(list(cache.glob("*.chars"))) == 3


def test_a_subset_whose_file_went_is_made_again(tmp_path, small_font):
    cache = tmp_path / "fonts"
    StampFont(small_font, work_dir=tmp_path, cache_dir=cache).subset_for(set("王小明"))
    next(cache.glob("*.ttf")).unlink()  # another process's eviction, between its list and its font
    font = StampFont(small_font, work_dir=tmp_path, cache_dir=cache)
    assert ord("王") in TTFont(font.subset_for(set("王"))).getBestCmap()


def test_a_compiled_program_is_kept_for_another_process_until_its_font_changes(tmp_path, small_font):
    from signing.stamp import FontPrograms

    cache, font = tmp_path / "programs", tmp_path / "font.ttf"
    font.write_bytes(small_font.read_bytes())
    glyphs = frozenset({1, 5, 9})
    FontPrograms(cache_dir=cache).put((str(font), glyphs), b"compiled")
    another = FontPrograms(cache_dir=cache)
    assert another.get((str(font), glyphs)) == b"compiled"
    assert another.get((str(font), frozenset({1, 5}))) is None  # other glyphs, another program
    moved = tmp_path / "moved.ttf"
    moved.write_bytes(font.read_bytes())
    assert FontPrograms(cache_dir=cache).get((str(moved), glyphs)) == b"compiled"  # by the bytes, not the name
    font.write_bytes(small_font.read_bytes() + b"\0")  # another font under the same name
    assert FontPrograms(cache_dir=cache).get((str(font), glyphs)) is None
    assert FontPrograms(cache_dir=cache).get((str(font), None)) is None  # a whole font is not kept


def test_the_programs_used_last_are_kept(tmp_path, small_font, monkeypatch):
    from signing.stamp import FontPrograms

    monkeypatch.setattr(stamp, "KEPT_PROGRAMS", 2)
    cache = tmp_path / "programs"
    programs = FontPrograms(cache_dir=cache)
    for n in range(3):
        programs.put((str(small_font), frozenset({n})), b"%d" % n)
        os.utime(sorted(cache.glob("*.program"), key=os.path.getmtime)[-1], ns=(n + 1, n + 1))
    programs.put((str(small_font), frozenset({0})), b"0")  # used again: newest
    assert len(list(cache.glob("*.program"))) == 2
    assert FontPrograms(cache_dir=cache).get((str(small_font), frozenset({0}))) == b"0"
    assert FontPrograms(cache_dir=cache).get((str(small_font), frozenset({1}))) is None


def test_a_kept_subset_or_program_damaged_on_disk_is_made_again(tmp_path, small_font):
    from signing.stamp import FontPrograms

    cache = tmp_path / "fonts"
    StampFont(small_font, work_dir=tmp_path, cache_dir=cache).subset_for(set("王小明"))
    kept = next(cache.glob("*.ttf"))
    kept.write_bytes(kept.read_bytes()[:-1] + b"\x01")
    font = StampFont(small_font, work_dir=tmp_path, cache_dir=cache)
    made = font.subset_for(set("王"))
    assert ord("王") in TTFont(made).getBestCmap() and made.read_bytes() != kept.read_bytes()

    glyphs = (str(small_font), frozenset({1, 2}))
    FontPrograms(cache_dir=tmp_path / "programs").put(glyphs, b"compiled")
    program = next((tmp_path / "programs").glob("*.program"))
    program.write_bytes(program.read_bytes().replace(b"compiled", b"compilex"))
    assert FontPrograms(cache_dir=tmp_path / "programs").get(glyphs) is None
