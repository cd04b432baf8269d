"""Page previews: one page of an archived PDF as a small PNG, rendered with poppler's ``pdftoppm``.

Rendered in a subprocess with a time limit (a hostile or broken PDF cannot hang a web thread),
and kept in a small in-memory cache keyed by the version's sha256, since archived versions never
change.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from ..errors import ServiceUnavailable

DPI = 60  # an A4 page → about 500 × 700 px: readable on a phone, small to send
TIMEOUT = 20.0
CACHE_ENTRIES = 256

_cache: OrderedDict[tuple[str, int], bytes] = OrderedDict()
_lock = threading.Lock()


class PreviewFailed(ServiceUnavailable):
    code = "preview_failed"


def render_page(sha256: str, page: int, read_pdf: Callable[[], bytes]) -> bytes:
    """PNG of ``page`` (1-based) of the PDF whose bytes ``read_pdf`` returns."""
    key = (sha256, page)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    image = _render(read_pdf(), page)
    with _lock:
        _cache[key] = image
        while len(_cache) > CACHE_ENTRIES:
            _cache.popitem(last=False)
    return image


def _render(pdf: bytes, page: int) -> bytes:
    with tempfile.TemporaryDirectory(prefix="forms-preview-") as tmp:
        source = Path(tmp) / "in.pdf"
        source.write_bytes(pdf)
        try:
            result = subprocess.run(
                ["pdftoppm", "-png", "-r", str(DPI), "-f", str(page), "-l", str(page), "-singlefile",
                 str(source), str(Path(tmp) / "page")],
                capture_output=True, timeout=TIMEOUT,
            )
        except FileNotFoundError as err:
            raise PreviewFailed("page previews need poppler-utils (pdftoppm)") from err
        except subprocess.TimeoutExpired as err:
            raise PreviewFailed(f"rendering page {page} took more than {TIMEOUT:.0f} s") from err
        output = Path(tmp) / "page.png"
        if result.returncode != 0 or not output.exists():
            raise PreviewFailed(f"page {page} could not be rendered: {result.stderr.decode(errors='replace')[:200]}")
        return output.read_bytes()
