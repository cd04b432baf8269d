"""pyHanko's synchronous calls use ``asyncio.run``, which fails in a thread that already runs an
event loop (an async web server, Playwright's sync API).  ``outside_event_loop`` runs such a call
in a helper thread in that case, and directly otherwise."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def outside_event_loop(call: Callable[[], T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as err:  # handed back to the calling thread
            outcome["error"] = err

    thread = threading.Thread(target=target, name="pyhanko-sync")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
