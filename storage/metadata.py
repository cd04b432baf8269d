"""Encoding of user metadata so any Unicode value survives S3 headers (which are ASCII only).

Values are percent-encoded UTF-8 (RFC 3986 unreserved characters and a few safe ones stay as
they are), and decoded on read.  Encoding every value — not only the non-ASCII ones — keeps the
round trip exact for values that happen to contain ``%``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, unquote

_SAFE = "-_.~:/ @+="
PREFIX = "x-amz-meta-"
# Names the minio SDK sends as HTTP headers of their own rather than as x-amz-meta-*: a metadata key
# spelt so would replace the object's header (and a second Content-Type breaks the request's signature).
_STANDARD_HEADERS = {"content-type", "cache-control", "content-encoding", "content-disposition",
                     "content-language", "expires", "storage-class"}


def key_problem(key: str) -> str | None:
    """Why ``key`` cannot name user metadata, or None when it can."""
    name = key.lower()
    if not name.replace("-", "").isalnum() or not name.isascii():
        return f"metadata key {key!r} must be ASCII letters, digits and dashes"
    if name in _STANDARD_HEADERS:
        return f"metadata key {key!r} is an HTTP header's name; choose another"
    return None


def encode(metadata: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for key, value in metadata.items():
        problem = key_problem(key)
        if problem:
            raise ValueError(problem)
        out[key.lower()] = quote(str(value), safe=_SAFE)
    return out


def decode(headers: Mapping[str, str]) -> dict[str, str]:
    """User metadata from response headers (``x-amz-meta-*``), decoded."""
    out = {}
    for key, value in headers.items():
        name = key.lower()
        if name.startswith(PREFIX):
            out[name[len(PREFIX):]] = unquote(value)
    return out
