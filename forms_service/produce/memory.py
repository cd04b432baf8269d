"""Giving the memory a document needed back to the system, now and then.

Making a document allocates tens of megabytes for a moment: the PDF read and written by pikepdf
and pyHanko several times, their object trees, and at a process's first stamp the subset of TW-Kai
(52 MB) it is cut from.  glibc's ``malloc`` keeps what was freed inside its heap, in pieces too
scattered to hand back on its own, so a web process stayed ~50 MB above what it uses (≈250 MiB
after its first document instead of ≈200) — and the service runs one per core beside LibreOffice
and the store within 1 GiB.  ``malloc_trim(0)`` returns the free pages (~0.5 ms).

Not after every document: pages handed back are faulted in and zeroed again by the next one, which
cost ~10 ms a document under load, measured.  After a document at most every ``INTERVAL`` seconds
— so always after a process's first, the one that cut the stamp font — keeps most of the saving
for almost none of that.  Elsewhere than glibc there is nothing to call, and nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import threading
import time
from typing import Any

INTERVAL = 30.0  # seconds between releases after documents

_last_release = -INTERVAL
_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_freed_memory() -> bool:
    """Hand the heap's free pages back to the system; whether there was a way to."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def release_now_and_then() -> bool:
    """``release_freed_memory`` unless it ran less than ``INTERVAL`` seconds ago; whether it ran."""
    global _last_release
    with _lock:
        now = time.monotonic()
        if now - _last_release < INTERVAL:
            return False
        _last_release = now
    return release_freed_memory()


__all__ = ["INTERVAL", "release_freed_memory", "release_now_and_then"]
