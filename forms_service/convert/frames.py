"""Length-prefixed messages between the service's processes: a JSON header, then binary parts.

A message is frames of an 8-byte big-endian length and that many bytes: first the JSON header
(which says how many parts follow, ``"parts"``), then each part — a document's bytes, never
encoded.  Used on pipes (the PDF worker process) and on Unix sockets (converters lent between web
processes).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from io import BufferedIOBase
from typing import IO, Any

Stream = IO[bytes] | BufferedIOBase  # a pipe's end, or a socket's ``makefile``

_LENGTH = struct.Struct(">Q")


def send(stream: Stream, message: dict[str, Any], parts: Sequence[bytes] = ()) -> None:
    for data in (json.dumps({**message, "parts": len(parts)}).encode(), *parts):
        stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def receive(stream: Stream) -> tuple[dict[str, Any], list[bytes]]:
    """The header and its parts; ``EOFError`` when the other side has gone, ``ValueError`` on garbage."""
    message = json.loads(_frame(stream))
    if not isinstance(message, dict):
        raise ValueError("not a message")
    return message, [_frame(stream) for _ in range(int(message.get("parts", 0)))]


def _frame(stream: Stream) -> bytes:
    header = stream.read(_LENGTH.size)
    if len(header) != _LENGTH.size:
        raise EOFError("the other process closed the connection")
    size = _LENGTH.unpack(header)[0]
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the other process stopped mid-message")
    return data
