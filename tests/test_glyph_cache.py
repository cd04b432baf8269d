"""The fonts' code points are cached between runs, and a damaged cache is never believed."""

from __future__ import annotations

from forms_service.convert.fonts import font_file
from forms_service.produce import glyphs


def test_code_points_come_back_from_the_cache_and_a_damaged_one_is_read_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = font_file("TW-Kai")
    fresh = glyphs._read_codepoints(path)
    glyphs._codepoints.cache_clear()
    assert glyphs._codepoints(path) == fresh  # read from the font, then written
    cached = glyphs._cache_file(path)
    assert cached is not None and cached.exists() and str(cached).startswith(str(tmp_path))
    assert glyphs._read_cache(cached) == fresh

    data = bytearray(cached.read_bytes())
    data[-4:] = (0x4E00).to_bytes(4, "little")  # one code point changed: a damaged file
    cached.write_bytes(bytes(data))
    glyphs._codepoints.cache_clear()
    assert glyphs._codepoints(path) == fresh  # not believed: read from the font again
    assert glyphs._read_cache(cached) == fresh  # and the cache repaired
    glyphs._codepoints.cache_clear()
