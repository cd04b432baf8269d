"""Visible signature stamps in Traditional Chinese (TW-Kai), cheap after the first.

pyHanko re-reads and re-subsets the stamp font for every signature; with TW-Kai (52 MB, 13,000+
glyphs) that cost hundreds of milliseconds and over 50 MB of reading per signature.  ``StampFont``
loads TW-Kai once and keeps a small subset holding every character stamped so far; pyHanko then
works on that subset (tens of kB).  The subset is rebuilt only when a stamp needs a character it
lacks (a new agency's name), about half a second, once.

pyHanko then subsets that font again for every stamp and compiles the subset (~30 ms of a B-LTA
document's ~360 ms).  ``StampGlyphs`` keeps each compiled program by the glyphs it holds, and
always holds the digits and the other ``BASE_CHARS``, so that stamps of one signer — whose times
differ only in digits — share one program, compiled once.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import shutil
import string
import tempfile
import threading
import weakref
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fontTools
from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.font.opentype import CIDFontType2, GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp import TextStampStyle

# A font cache's subsets; its form changes when how subsets are made (the options, the scaling) does.
KEPT = 64
SUBSET_FORM = "subset 1: layout features, .notdef outline, names kept, FFTM dropped, 1000 units per em"
# The cache's compiled programs, and how ``StampGlyphs`` compiles one (changed with it).
KEPT_PROGRAMS = 256
PROGRAM_FORM = "program 1: glyph ids kept, GPOS GDEF GSUB dropped, no layout closure, zlib"
# Characters every stamp uses, so that most new texts need no rebuild.
# (Kept small: pyHanko parses and subsets the cached font again for every stamp.)
BASE_CHARS = set("0123456789:：/-()（）年月日時分秒中華民國簽署人機關時間審核經濟部商業司發展署 .")


@dataclass(frozen=True)
class Stamp:
    """A visible stamp: its lines of text and where it goes (PDF points, page -1 = the last); with no
    ``box``, inside the document's signature field of that name (made before: ``fields``)."""

    lines: tuple[str, ...]
    box: tuple[int, int, int, int] | None = (330, 60, 560, 130)
    page: int = -1

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class StampFont:
    def __init__(self, font_path: str | Path, *, font_size: int = 9, work_dir: Path | None = None,
                 expected: str = "", cache_dir: Path | None = None):
        """``work_dir``: where the font subsets are written (a folder of this process inside it,
        removed when the font is collected or the process exits); the system's temporary directory
        without it.  ``expected``: text whose characters the first subset holds too — each new
        character later costs a subset built again (~1 s for a few hundred characters).
        ``cache_dir``: where subsets are kept instead, by the font and the characters they hold, for
        other processes and later runs to take (the ``KEPT`` used last); a folder for one use, since
        any kept subset holding the characters asked for serves, and a stamp parses its whole font."""
        self.font_path = Path(font_path)
        self._cache_dir = cache_dir
        self.font_size = font_size
        self._chars: set[str] = set(expected) - set(string.whitespace)
        self._subset_path: Path | None = None
        if work_dir is not None:
            work_dir.mkdir(parents=True, exist_ok=True)
        prefix = f"stamp-{os.getpid()}-" if work_dir is not None else "forms-stamp-font-"
        self._dir = Path(tempfile.mkdtemp(prefix=prefix, dir=work_dir))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._lock = threading.Lock()
        self._programs = FontPrograms(cache_dir=cache_dir / "programs" if cache_dir is not None else None)

    def close(self) -> None:
        """Remove the subsets written (the font is not used after)."""
        self._cleanup()

    def style(self, text: str) -> TextStampStyle:
        """A stamp style whose font covers ``text``."""
        path = self.subset_for(set(text) - {"\n"})
        font = StampGlyphsFactory(str(path), font_size=self.font_size, programs=self._programs)
        return TextStampStyle(stamp_text="%(stamp)s", text_box_style=TextBoxStyle(font=font), border_width=1)

    def subset_for(self, chars: set[str]) -> Path:
        """A font file holding at least ``chars`` (and every character asked for before)."""
        with self._lock:
            if self._subset_path is None or not chars <= self._chars:
                self._chars |= chars | BASE_CHARS
                self._subset_path = self._build(self._chars)
            return self._subset_path

    def _build(self, chars: set[str]) -> Path:
        """The subset in this process's folder (a copy of the cache's: the cache may remove its own).
        A kept subset made from this font holding every character asked for serves too (the one of
        fewest characters): a process started again takes what the last one grew to."""
        if self._cache_dir is None:
            path = self._dir / f"stamp-{len(chars)}.ttf"
            path.write_bytes(self._made(chars))
            return path
        made_from = self._made_from()
        for kept, digest, holds in self._kept_holding(made_from, chars):
            try:
                data = kept.read_bytes()
            except OSError:  # removed by another process meanwhile
                continue
            if hashlib.sha256(data).hexdigest() != digest:  # damaged on disk: never stamped with
                continue
            own = self._dir / kept.name
            own.write_bytes(data)
            with contextlib.suppress(OSError):
                os.utime(kept)  # used now: kept longer
            self._chars = holds
            return own
        name = f"{made_from}-{hashlib.sha256(''.join(sorted(chars)).encode()).hexdigest()[:24]}"
        data = self._made(chars)
        own = self._dir / f"{name}.ttf"
        own.write_bytes(data)
        _keep(self._cache_dir / name, data, chars)
        return own

    def _made(self, chars: set[str]) -> bytes:
        with TTFont(self.font_path, lazy=True) as font:  # closed: a lazy font keeps its file open
            return self._subset(font, chars)

    def _made_from(self) -> str:
        """What a subset is made from but its characters: the font file as it is, fontTools, how it
        is subset."""
        found = self.font_path.stat()
        made_from = "\n".join([SUBSET_FORM, str(self.font_path.resolve()), str(found.st_size),
                               str(found.st_mtime_ns), fontTools.version])
        return hashlib.sha256(made_from.encode()).hexdigest()[:16]

    def _kept_holding(self, made_from: str, chars: set[str]) -> list[tuple[Path, str, set[str]]]:
        """The kept subsets made from this font that hold every one of ``chars``, fewest first: each
        with the SHA-256 its bytes must have."""
        assert self._cache_dir is not None
        found = []
        for listed in self._cache_dir.glob(f"{made_from}-*.chars"):
            try:
                digest, _, holding = listed.read_text(encoding="utf-8").partition("\n")
            except (OSError, UnicodeDecodeError):
                continue
            holds = set(holding)
            if len(digest) == 64 and chars <= holds:
                found.append((listed.with_suffix(".ttf"), digest, holds))
        return sorted(found, key=lambda kept: len(kept[2]))

    def _subset(self, font: TTFont, chars: set[str]) -> bytes:
        options = subset.Options()
        options.layout_features = ["*"]
        options.notdef_outline = True
        options.name_IDs = ["*"]
        options.drop_tables += ["FFTM"]  # FontForge's timestamps: unused, and pyHanko warns on every stamp
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in chars])
        subsetter.subset(font)
        # pyHanko writes glyph widths in font units as if there were 1,000 to the em; TW-Kai has
        # 1,024, and a width that disagrees with the font program is a PDF/A violation.
        if font["head"].unitsPerEm != 1000:
            scale_upem(font, 1000)
        buffer = io.BytesIO()
        font.save(buffer)
        return buffer.getvalue()


def _keep(name: Path, data: bytes, chars: set[str]) -> None:
    """The subset ``data`` kept as ``name``.ttf, its SHA-256 and the characters it holds listed in
    ``name``.chars, each written whole (another process may read them at once) and the list first,
    so that a kept subset always has its list; the folder holds the ``KEPT`` subsets used last.  A
    cache that cannot be written is only slower."""
    try:
        name.parent.mkdir(parents=True, exist_ok=True)
        listed = hashlib.sha256(data).hexdigest() + "\n" + "".join(sorted(chars))
        _write_whole(name.with_suffix(".chars"), listed.encode("utf-8"))
        _write_whole(name.with_suffix(".ttf"), data)
    except OSError:
        return
    _drop_least_used(name.parent, ".ttf", KEPT, besides=".chars")


def _write_whole(path: Path, data: bytes) -> None:
    part = ""
    try:
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".", suffix=".part", delete=False) as file:
            part = file.name
            file.write(data)
        os.replace(part, path)
    except OSError:
        if part:
            with contextlib.suppress(OSError):
                os.unlink(part)
        raise


def _drop_least_used(folder: Path, suffix: str, kept: int, *, besides: str = "") -> None:
    """Keep the ``kept`` files of ``suffix`` in ``folder`` used last (and the file of suffix
    ``besides`` that goes with each); another process may be removing them too."""
    for old in sorted(folder.glob(f"*{suffix}"), key=_last_used)[:-kept]:
        for path in (old, old.with_suffix(besides)) if besides else (old,):
            with contextlib.suppress(OSError):
                path.unlink()


def _last_used(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:  # removed by another process meanwhile
        return 0


class FontPrograms:
    """Compiled, compressed font programs by (font file, glyph ids kept); the last ``size`` used.

    With ``cache_dir``, the programs of glyph sets are also kept there (the ``KEPT_PROGRAMS`` used
    last, each after its SHA-256), by the font file's bytes, the glyph ids, fontTools and how
    programs are made: a process started again compiles none it compiled before (~70 ms each, one
    for each signer's name).  A kept program whose bytes do not match is compiled again."""

    def __init__(self, size: int = 64, *, cache_dir: Path | None = None):
        self._size = size
        self._cache_dir = cache_dir
        self._programs: OrderedDict[tuple[str, frozenset[int] | None], bytes] = OrderedDict()
        self._digests: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, frozenset[int] | None]) -> bytes | None:
        with self._lock:
            program = self._programs.get(key)
            if program is not None:
                self._programs.move_to_end(key)
                return program
        kept = self._kept(key)
        if kept is None:
            return None
        try:
            digest, _, program = kept.read_bytes().partition(b"\n")
        except OSError:  # not kept, or removed by another process meanwhile
            return None
        if hashlib.sha256(program).hexdigest().encode() != digest:  # damaged on disk: compiled again
            return None
        with contextlib.suppress(OSError):
            os.utime(kept)  # used now: kept longer
        self._remember(key, program)
        return program

    def put(self, key: tuple[str, frozenset[int] | None], program: bytes) -> None:
        self._remember(key, program)
        kept = self._kept(key)
        if kept is None:
            return
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            _write_whole(kept, hashlib.sha256(program).hexdigest().encode() + b"\n" + program)
        except OSError:  # a cache that cannot be written is only slower
            return
        _drop_least_used(kept.parent, ".program", KEPT_PROGRAMS)

    def __len__(self) -> int:
        return len(self._programs)

    def _remember(self, key: tuple[str, frozenset[int] | None], program: bytes) -> None:
        with self._lock:
            self._programs[key] = program
            while len(self._programs) > self._size:
                self._programs.popitem(last=False)

    def _kept(self, key: tuple[str, frozenset[int] | None]) -> Path | None:
        """Where the program of ``key`` is kept; None without a cache, for a whole font (compressing
        the file is quick) and for a font file that cannot be read."""
        font_file, glyph_ids = key
        if self._cache_dir is None or glyph_ids is None:
            return None
        try:
            found = os.stat(font_file)
            digest = self._digests.get((font_file, found.st_size, found.st_mtime_ns))
            if digest is None:
                digest = hashlib.sha256(Path(font_file).read_bytes()).hexdigest()
                self._digests[(font_file, found.st_size, found.st_mtime_ns)] = digest
        except OSError:
            return None
        made_from = "\n".join([PROGRAM_FORM, fontTools.version, digest, ",".join(map(str, sorted(glyph_ids)))])
        return self._cache_dir / f"{hashlib.sha256(made_from.encode()).hexdigest()[:40]}.program"


class StampGlyphs(GlyphAccumulator):
    """pyHanko's glyph accumulator, whose embedded font program is compiled once per glyph set.

    The program keeps the glyphs the stamp uses and those of ``BASE_CHARS``; glyph ids are kept
    (pyHanko's choice for TrueType: the content stream's codes are glyph ids), so a program is
    valid for any stamp whose glyphs it holds.  Only TrueType fonts (TW-Kai's kind) are cached;
    a CFF font goes pyHanko's way.
    """

    def __init__(self, *args: Any, font_file: str, programs: FontPrograms, whole: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._font_file = font_file
        self._programs = programs
        self._whole = whole

    def prepare_write(self) -> None:
        if self._write_prepared or not isinstance(self.cidfont_obj, CIDFontType2):
            return super().prepare_write()
        if self._whole:  # the font file as it is: compiled once, whatever glyphs a document uses
            key: tuple[str, frozenset[int] | None] = (self._font_file, None)
            program = self._programs.get(key)
            if program is None:
                program = zlib.compress(Path(self._font_file).read_bytes())
                self._programs.put(key, program)
            self._embed(program)
            return
        cmap = self.tt.getBestCmap()
        keep = frozenset(self._glyphs) | {self.tt.getGlyphID(cmap[ord(c)]) for c in BASE_CHARS if ord(c) in cmap}
        key = (self._font_file, keep)
        program = self._programs.get(key)
        if program is None:
            options = subset.Options(layout_closure=False)
            options.drop_tables += ["GPOS", "GDEF", "GSUB"]
            options.retain_gids = True  # as pyHanko does for TrueType
            subsetter = subset.Subsetter(options=options)
            subsetter.populate(gids=sorted(keep))
            subsetter.subset(self.tt)
            buffer = io.BytesIO()
            self.tt.save(buffer)
            program = zlib.compress(buffer.getvalue())
            self._programs.put(key, program)
        self._embed(program)

    def _embed(self, program: bytes) -> None:
        self._subset_created = True  # pyHanko's own subsetting is not needed
        cidfont = self.cidfont_obj
        assert isinstance(cidfont, CIDFontType2)  # prepare_write sends the others pyHanko's way
        cidfont.set_font_file = functools.partial(_embed_program, cidfont, program)  # type: ignore[method-assign]
        super().prepare_write()


def _embed_program(cidfont: CIDFontType2, program: bytes, writer: BasePdfFileWriter) -> generic.IndirectObject:
    """What ``CIDFontType2.set_font_file`` does, with a program compiled and compressed before."""
    stream = generic.StreamObject({generic.pdf_name("/Filter"): generic.pdf_name("/FlateDecode")},
                                  encoded_data=program)
    reference = writer.add_object(stream)
    cidfont._font_descriptor[generic.pdf_name("/FontFile2")] = reference
    return reference


@dataclass(frozen=True)
class StampGlyphsFactory(GlyphAccumulatorFactory):
    """``GlyphAccumulatorFactory`` handing out ``StampGlyphs`` sharing ``programs``; ``whole``: embed the
    font file whole instead of the glyphs used (for a font that is a small subset already)."""

    programs: FontPrograms = field(default_factory=FontPrograms)
    whole: bool = False

    def create_font_engine(self, writer: BasePdfFileWriter, obj_stream: Any = None) -> GlyphAccumulator:
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        # In memory: fontTools reads a font's tables when first used, and pyHanko's factory leaves
        # the file open for that (the stamp subsets are tens of kB).
        handle = io.BytesIO(Path(self.font_file).read_bytes())
        return StampGlyphs(writer=writer, font_handle=handle, font_size=self.font_size,
                           ot_script_tag=self.ot_script_tag, ot_language_tag=self.ot_language_tag,
                           writing_direction=self.writing_direction, bcp47_lang_code=self.bcp47_lang_code,
                           obj_stream=obj_stream, font_file=self.font_file, programs=self.programs,
                           whole=self.whole)
