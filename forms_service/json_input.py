"""Reading JSON someone sent — a request body, an uploaded or imported file, a manifest to check —
with a bound on its nesting.

Python's JSON reader recurses: ``[[[[…`` a hundred thousand deep raises ``RecursionError`` (a 500,
a traceback).  No form, event batch or manifest nests more than a few levels, so text nested beyond
``MAX_DEPTH`` is refused before it is parsed — the depth counted without recursion.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import InputError

MAX_DEPTH = 32

_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def depth(raw: bytes | str) -> int:
    """The deepest nesting of brackets outside strings (strings removed, then only brackets kept)."""
    data = raw.encode() if isinstance(raw, str) else raw
    level = deepest = 0
    for byte in _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS):
        if byte in (0x5B, 0x7B):  # [ {
            level += 1
            deepest = max(deepest, level)
        else:
            level -= 1
    return deepest


def loads(raw: bytes | str, *, what: str, field: str = "body") -> Any:
    """``raw`` parsed, or ``InputError`` (naming ``field``) saying what is wrong with ``what``:
    too deep, or not JSON."""
    found = depth(raw)
    if found > MAX_DEPTH:
        raise InputError(f"{what}的 JSON 巢狀達 {found} 層，最多 {MAX_DEPTH} 層", details={"field": field})
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise InputError(f"{what}不是有效的 JSON：{err}", details={"field": field}) from None
