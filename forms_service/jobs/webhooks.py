"""Completion calls: when a batch ends, a POST to the URL its submitter gave, signed with HMAC so the
receiver can tell it came from this service and was not replayed, tried again with doubling waits.

The receiver checks ``X-Forms-Signature: sha256=<hex>`` = HMAC-SHA256(secret, ``<X-Forms-Timestamp>.<body>``)
with the secret the batch's 202 answer gave, and refuses a timestamp far from its own clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from ..access import outbound
from ..access.outbound import OutboundAllow, OutboundRefused

MAX_ATTEMPTS = 8  # with a 30 s first wait: the last try about an hour after the batch ended
TIMEOUT_SECONDS = 10


def check_url(url: str, allow: OutboundAllow) -> str:
    """The URL, if the service may call it (``access.outbound``: an outside address, https); else
    ``InputError`` naming the field ``webhook``."""
    outbound.check(url, allow, field="webhook")
    return url


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivery:
    attempt: int
    status: int  # the receiver's HTTP status; 0 when it could not be reached
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def deliver(url: str, secret: str, payload: dict[str, Any], *, attempt: int, allow: OutboundAllow) -> Delivery:
    """One call, to an address checked again now; a redirect is the receiver's answer, not followed."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "User-Agent": "forms-service-webhook",
               "X-Forms-Timestamp": timestamp, "X-Forms-Signature": signature(secret, timestamp, body),
               "X-Forms-Delivery-Attempt": str(attempt)}
    try:
        status = outbound.post(url, body, headers, allow, timeout=TIMEOUT_SECONDS)
    except OutboundRefused as err:
        return Delivery(attempt, 0, f"the URL is not called: {err.message}")
    except OSError as err:
        return Delivery(attempt, 0, f"the receiver could not be reached: {err}")
    if 300 <= status < 400:
        return Delivery(attempt, status, f"the receiver answered {status}: redirects are not followed")
    if not 200 <= status < 300:
        return Delivery(attempt, status, f"the receiver answered {status}")
    return Delivery(attempt, status)


def next_wait(attempt: int, first_wait: float) -> float | None:
    """Seconds before the next attempt after ``attempt`` failed; None when it was the last."""
    if attempt >= MAX_ATTEMPTS:
        return None
    return first_wait * 2 ** (attempt - 1)
