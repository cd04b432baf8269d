"""Glyph preflight: every character of every value must exist in the fonts the form prints with.

A character no font has prints as an empty box in the PDF — and ``pdftotext`` still extracts it,
so the defect is invisible to text checks.  A signed record must never carry one: refuse the
input first, naming the field, the character and its code point.

The fonts are the alias chain of each face the template names (``templates/fonts.conf``: 標楷體 →
TW-Kai, TW-Kai-Ext-B, TW-Kai-Plus, Symbola), resolved to files by fontconfig and read with
fontTools once per process.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import threading
import xml.etree.ElementTree as ET
import zipfile
from array import array
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont, TTLibError

from ..convert.fonts import font_file, fontconfig_file
from ..errors import ConfigError, FieldProblem, ValidationFailed
from ..messages import problem

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_lock = threading.Lock()


@cache
def aliases() -> dict[str, tuple[str, ...]]:
    """Face name → the families it resolves to, from the alias file."""
    tree = ET.parse(fontconfig_file())
    result = {}
    for alias in tree.getroot().iter("alias"):
        name = alias.findtext("family")
        prefer = alias.find("prefer")
        if name and prefer is not None:
            result[name] = tuple(f.text for f in prefer.iter("family") if f.text)
    return result


@cache
def _codepoints(path: str) -> frozenset[int]:
    cached = _cache_file(path)
    if cached is not None:
        with contextlib.suppress(OSError, ValueError):
            return _read_cache(cached)
    points = _read_codepoints(path)
    if cached is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            cached.parent.mkdir(parents=True, exist_ok=True)
            payload = array("I", sorted(points)).tobytes()
            part = cached.with_name(f"{cached.name}.{os.getpid()}.part")
            part.write_bytes(hashlib.sha256(payload).digest() + payload)
            part.replace(cached)
    return points


def _read_cache(cached: Path) -> frozenset[int]:
    """The cached code points; ``ValueError`` unless the file is exactly what was written."""
    data = cached.read_bytes()
    digest, payload = data[:32], data[32:]
    if hashlib.sha256(payload).digest() != digest:
        raise ValueError("a damaged code point cache")
    return frozenset(array("I", payload))


def _read_codepoints(path: str) -> frozenset[int]:
    try:
        with TTFont(path, lazy=True, fontNumber=0) as font:  # closed: a lazy font keeps its file open
            return frozenset(font.getBestCmap() or {})
    except (OSError, TTLibError) as err:
        raise ConfigError(f"cannot read the font {path}: {err}") from err


def _cache_file(path: str) -> Path | None:
    """Where a font's code points are kept between runs (~0.3 s to read TW-Kai's cmaps at every
    start of a one-shot command): the user's cache directory, keyed by the file's path, size and
    modification time, so an updated font is read again."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = hashlib.sha256(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()).hexdigest()[:32]
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "forms-service" / "codepoints" / f"{key}.u32"


def coverage(face: str) -> tuple[frozenset[int], tuple[str, ...]]:
    """The code points printable with ``face`` (through its alias chain), and the families used."""
    with _lock:
        return _coverage(face)


@cache
def _coverage(face: str) -> tuple[frozenset[int], tuple[str, ...]]:
    families = aliases().get(face, (face,))
    points: set[int] = set()
    found = []
    for family in families:
        path = font_file(family)
        if path:
            points |= _codepoints(path)
            found.append(family)
    if not found:
        raise ConfigError(f"no installed font for {face!r} (looked for {', '.join(families)}): "
                          "install fonts-cns11643-kai")
    return frozenset(points), tuple(found)


def template_faces(docx: bytes) -> set[str]:
    """The East Asian and Latin face names a .docx template sets (styles and runs)."""
    faces: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        for name in zf.namelist():
            if re.fullmatch(r"word/(document|styles|header\d*|footer\d*)\.xml", name):
                root = ET.fromstring(zf.read(name))
                for fonts in root.iter(f"{_W}rFonts"):
                    for attr in ("eastAsia", "ascii", "hAnsi"):
                        value = fonts.get(f"{_W}{attr}")
                        if value:
                            faces.add(value)
    return faces


def check_values(values: Any, faces: set[str], *, form_id: str | None = None) -> None:
    """Raise ``ValidationFailed`` naming each field with a character none of ``faces`` can print."""
    problems = glyph_problems(values, faces)
    if problems:
        raise ValidationFailed(problems, form_id=form_id)


def glyph_problems(values: Any, faces: set[str]) -> list[FieldProblem]:
    """Each field with a character none of ``faces`` can print (its first such character)."""
    covered: set[int] = set()
    families: list[str] = []
    for face in sorted(faces):
        points, found = coverage(face)
        covered |= points
        families += found
    problems = []
    for path, text in _strings(values, ""):
        for char in dict.fromkeys(text):  # each distinct character once, in order
            if ord(char) not in covered and not char.isspace():
                problems.append(problem(path, "glyph_missing", char=char, point=f"U+{ord(char):04X}"))
                break
    return problems


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
