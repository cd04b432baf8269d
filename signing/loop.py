"""One event loop per process, in a thread of its own, holding one HTTP session for the TSA and the
OCSP and CRL responders — instead of a new loop and a new session (new connections) per signature.

Callers in any thread hand it a coroutine function (given the session) and wait for the result.
What is bound to the session and worth keeping (a TSA client and the sample token it holds) is kept
with it (``keep``), and made again with a new session.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import aiohttp

T = TypeVar("T")


class SigningLoop:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._session: aiohttp.ClientSession | None = None
        self._kept: dict[Hashable, tuple[float, Any]] = {}  # made with the current session; used on the loop
        self._thread = threading.Thread(target=self._loop.run_forever, name="signing-loop", daemon=True)
        self._thread.start()

    def run(self, work: Callable[[aiohttp.ClientSession], Awaitable[T]], *, timeout: float) -> T:
        """Run ``work(session)`` on the loop; ``TimeoutError`` after ``timeout`` seconds."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("SigningLoop.run called from its own loop: await the work instead")
        future = asyncio.run_coroutine_threadsafe(self._with_session(work), self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:  # concurrent.futures' is the builtin since 3.11
            future.cancel()
            raise TimeoutError() from None

    async def _with_session(self, work: Callable[[aiohttp.ClientSession], Awaitable[T]]) -> T:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._kept.clear()
        return await work(self._session)

    def keep(self, key: Hashable, session: aiohttp.ClientSession,
             make: Callable[[aiohttp.ClientSession], T], *, lifetime: float) -> T:
        """``make(session)``, kept under ``key`` for ``lifetime`` seconds while ``session`` is the
        loop's; called by work running on the loop.  Another session's gets a new one each time."""
        if session is not self._session:
            return make(session)
        made, value = self._kept.get(key, (0.0, None))
        if value is None or time.monotonic() - made > lifetime:
            value = make(session)
            self._kept[key] = (time.monotonic(), value)
        return value

    def forget(self, key: Hashable) -> None:
        """The next ``keep`` under ``key`` makes a new one."""
        self._kept.pop(key, None)

    def close(self) -> None:
        if not self._loop.is_running():
            return

        async def shut() -> None:
            if self._session is not None:
                await self._session.close()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


__all__ = ["SigningLoop"]
