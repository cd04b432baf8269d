"""Completion calls: when a batch ends, a POST to the URL its submitter gave, signed with HMAC so the
receiver can tell it came from this service and was not replayed, tried again with doubling waits.

The receiver checks ``X-Forms-Signature: sha256=<hex>`` = HMAC-SHA256(secret, ``<X-Forms-Timestamp>.<body>``)
with the secret the batch's 202 answer gave, and refuses a timestamp far from its own clock.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import InputError

MAX_ATTEMPTS = 8  # with a 30 s first wait: the last try about an hour after the batch ended
TIMEOUT_SECONDS = 10


def check_url(url: str) -> str:
    """An https URL, or http to this machine (a receiver beside the service); else ``InputError``."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InputError("the webhook must be an https:// URL", details={"field": "webhook"})
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise InputError("the webhook must use https:// (http:// only to this machine)", details={"field": "webhook"})
    if len(url) > 2000:
        raise InputError("the webhook URL may be at most 2,000 characters", details={"field": "webhook"})
    return url


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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


def deliver(url: str, secret: str, payload: dict[str, Any], *, attempt: int) -> Delivery:
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": "forms-service-webhook",
        "X-Forms-Timestamp": timestamp, "X-Forms-Signature": signature(secret, timestamp, body),
        "X-Forms-Delivery-Attempt": str(attempt)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
            return Delivery(attempt, answer.status)
    except urllib.error.HTTPError as err:
        return Delivery(attempt, err.code, f"the receiver answered {err.code}")
    except (urllib.error.URLError, OSError) as err:
        return Delivery(attempt, 0, f"the receiver could not be reached: {getattr(err, 'reason', err)}")


def next_wait(attempt: int, first_wait: float) -> float | None:
    """Seconds before the next attempt after ``attempt`` failed; None when it was the last."""
    if attempt >= MAX_ATTEMPTS:
        return None
    return first_wait * 2 ** (attempt - 1)
