"""Visible signature stamps in Traditional Chinese (TW-Kai), cheap after the first.

pyHanko re-reads and re-subsets the stamp font for every signature; with TW-Kai (52 MB, 13,000+
glyphs) that cost hundreds of milliseconds and over 50 MB of reading per signature.  ``StampFont``
loads TW-Kai once and keeps a small subset holding every character stamped so far; pyHanko then
works on that subset (tens of kB).  The subset is rebuilt only when a stamp needs a character it
lacks (a new agency's name), about half a second, once.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStampStyle

# Characters every stamp uses, so that most new texts need no rebuild.
# (Kept small: pyHanko parses and subsets the cached font again for every stamp.)
BASE_CHARS = set("0123456789:：/-()（）年月日時分秒中華民國簽署人機關時間審核經濟部商業司發展署 .")


@dataclass(frozen=True)
class Stamp:
    """A visible stamp: its lines of text and where it goes (PDF points, page -1 = the last)."""

    lines: tuple[str, ...]
    box: tuple[int, int, int, int] = (330, 60, 560, 130)
    page: int = -1

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class StampFont:
    def __init__(self, font_path: str | Path, *, font_size: int = 9, work_dir: Path | None = None):
        """``work_dir``: where the font subsets are written (a folder of this process inside it,
        removed when the font is collected or the process exits); the system's temporary directory
        without it."""
        self.font_path = Path(font_path)
        self.font_size = font_size
        self._chars: set[str] = set()
        self._subset_path: Path | None = None
        if work_dir is not None:
            work_dir.mkdir(parents=True, exist_ok=True)
        prefix = f"stamp-{os.getpid()}-" if work_dir is not None else "forms-stamp-font-"
        self._dir = Path(tempfile.mkdtemp(prefix=prefix, dir=work_dir))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        self._lock = threading.Lock()

    def close(self) -> None:
        """Remove the subsets written (the font is not used after)."""
        self._cleanup()

    def style(self, text: str) -> TextStampStyle:
        """A stamp style whose font covers ``text``."""
        path = self.subset_for(set(text) - {"\n"})
        font = GlyphAccumulatorFactory(str(path), font_size=self.font_size)
        return TextStampStyle(stamp_text="%(stamp)s", text_box_style=TextBoxStyle(font=font), border_width=1)

    def subset_for(self, chars: set[str]) -> Path:
        """A font file holding at least ``chars`` (and every character asked for before)."""
        with self._lock:
            if self._subset_path is None or not chars <= self._chars:
                self._chars |= chars | BASE_CHARS
                self._subset_path = self._build(self._chars)
            return self._subset_path

    def _build(self, chars: set[str]) -> Path:
        with TTFont(self.font_path, lazy=True) as font:  # closed: a lazy font keeps its file open
            return self._subset(font, chars)

    def _subset(self, font: TTFont, chars: set[str]) -> Path:
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
        path = self._dir / f"stamp-{len(chars)}.ttf"
        path.write_bytes(buffer.getvalue())
        return path
