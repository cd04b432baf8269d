"""The id of the request being served (``X-Request-ID``), carried into the audit entries it writes, so
that an entry, the request's log lines and the client's own records can be matched.

The web layer sets it for each request; the catalog adds it to an entry's detail when the entry is
made (in the request's thread — entries are committed in groups by another).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token
from typing import Any

current: ContextVar[str] = ContextVar("forms_request_id", default="")
_ACCEPTED = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def begin(given: str | None) -> tuple[str, Token[str]]:
    """The request's id — the caller's ``X-Request-ID`` when it is a plain token, else a new one."""
    request_id = given.strip() if given and _ACCEPTED.match(given.strip()) else uuid.uuid4().hex
    return request_id, current.set(request_id)


def end(token: Token[str]) -> None:
    current.reset(token)


def tagged(detail: dict[str, Any]) -> dict[str, Any]:
    """``detail`` with the current request's id (unchanged outside a request, or when it has one)."""
    request_id = current.get()
    if not request_id or "request_id" in detail:
        return detail
    return {**detail, "request_id": request_id}
