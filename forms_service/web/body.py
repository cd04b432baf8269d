"""Reading what a request sends: its JSON body — malformed, too deep or not JSON at all is a 400
naming it (``json_input``) — and its whole-number query arguments (``int_arg``)."""

from __future__ import annotations

from typing import Any, overload

from flask import request

from .. import json_input
from ..errors import InputError


def json_body(*, required: bool = True) -> Any:
    """The request's JSON, or None when absent and not ``required``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise InputError("the body must be JSON (Content-Type: application/json)", details={"field": "body"})
        return None
    return json_input.loads(raw, what="請求內容")


def json_object(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON body as an object ({} when absent and not ``required``); any other JSON is a 400."""
    body = json_body(required=required)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InputError("the body must be a JSON object", details={"field": "body"})
    return body


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
