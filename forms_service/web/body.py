"""Reading what a request sends: its JSON body — malformed, too deep or not JSON at all is a 400
naming it — and its whole-number query arguments (``int_arg``).

Python's JSON reader recurses: ``[[[[…`` a hundred thousand deep raised ``RecursionError`` (a 500).
No form nests more than a few levels, so the body is refused beyond ``MAX_DEPTH`` — counted
without recursion, before anything else walks it.
"""

from __future__ import annotations

import json
import re
from typing import Any, overload

from flask import request

from ..errors import InputError

MAX_DEPTH = 32


def json_body(*, required: bool = True) -> Any:
    """The request's JSON, or None when absent and not ``required``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise InputError("the body must be JSON (Content-Type: application/json)", details={"field": "body"})
        return None
    depth = _depth(raw)
    if depth > MAX_DEPTH:
        raise InputError(f"the JSON body nests {depth} levels deep; a form has at most {MAX_DEPTH}",
                         details={"field": "body"})
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as err:
        raise InputError(f"the body is not valid JSON: {err}", details={"field": "body"}) from None


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON body as an object ({} when absent and not ``required``); any other JSON is a 400."""
    body = json_body(required=required)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object", details={"field": "body"})
    return body


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _depth(raw: bytes) -> int:
    """The deepest nesting of brackets outside strings (strings removed, then only brackets kept)."""
    depth = deepest = 0
    for byte in _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS):
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


@overload
def int_arg(name: str, default: int, low: int, high: int) -> int: ...


@overload
def int_arg(name: str, default: None, low: int, high: int) -> int | None: ...


def int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    """The query argument ``name`` as a whole number from ``low`` to ``high`` (``default`` when
    absent); anything else is a 400 naming it."""
    text = request.args.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{name} must be a whole number", details={"field": name}) from None
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low} and {high}", details={"field": name})
    return value
