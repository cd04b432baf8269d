"""Reading PDF hex strings in one pass instead of one character at a time.

pyHanko's reader takes a hex string (``<48656c6c6f>``) apart one byte at a time, each through a
Python call that skips whitespace and comments.  A signature's ``/Contents`` is such a string,
tens of kilobytes of hex reserved for the CMS blob, and every signing and every validation reads
each signature's — ~25 ms of a B-LTA document's ~360 ms, measured.  ``read_hex_string_from_stream``
here finds the closing ``>`` with one search and decodes with ``binascii``.  Anything unusual (a
comment, a character that is not a hex digit, no closing ``>``) goes to pyHanko's own reader from
the same place, so it raises exactly what pyHanko raises.  ``install`` puts it where pyHanko's
object reader looks it up; it is idempotent.
"""

from __future__ import annotations

import binascii
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PDF_WHITESPACE

_PYHANKO_READER = generic.read_hex_string_from_stream
_HEX_DIGITS = b"0123456789abcdefABCDEF"
_CHUNK = 64 * 1024


def read_hex_string_from_stream(stream: Any) -> generic.ByteStringObject | generic.TextStringObject:
    """Read ``<hex>`` at the stream's position into a PDF string object, as pyHanko does."""
    start = stream.tell()
    stream.read(1)  # the opening "<"
    chunks: list[bytes] = []
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:  # no closing ">": pyHanko's reader says so in its words
            return _pyhanko_from(stream, start)
        end = chunk.find(b">")
        if end >= 0:
            chunks.append(chunk[:end])
            stream.seek(end + 1 - len(chunk), 1)  # just past the ">"
            break
        chunks.append(chunk)
    digits = b"".join(chunks).translate(None, PDF_WHITESPACE)
    if digits.translate(None, _HEX_DIGITS):  # a comment or a stray character
        return _pyhanko_from(stream, start)
    if len(digits) % 2:
        digits += b"0"  # an odd count: the last digit is followed by 0 (ISO 32000-1, 7.3.4.3)
    return generic.pdf_string(binascii.unhexlify(digits))


def _pyhanko_from(stream: Any, start: int) -> generic.ByteStringObject | generic.TextStringObject:
    stream.seek(start)
    return _PYHANKO_READER(stream)


def install() -> None:
    """Make pyHanko's object reader use this reader."""
    generic.read_hex_string_from_stream = read_hex_string_from_stream


def uninstall() -> None:
    generic.read_hex_string_from_stream = _PYHANKO_READER


def installed() -> bool:
    return generic.read_hex_string_from_stream is read_hex_string_from_stream


__all__ = ["install", "installed", "read_hex_string_from_stream", "uninstall"]
