"""Audit entries committed in groups: one transaction (and one fsync) for the entries that arrive
while the previous group is being written, instead of one per entry.

Every retrieval writes an audit entry and answers only once it is durable, so under load the
commits, not the reads, set the pace.  A writer thread takes what is waiting (up to ``max_group``
entries), writes it in one transaction — each entry still chained to the one before — and then
releases every caller of that group; a failure fails every caller of the group, so no read is
served without its entry.  One writer per catalog object (per process).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")

_STOP = object()


class GroupCommitter(Generic[T]):
    def __init__(self, write_group: Callable[[list[T]], None], *, max_group: int = 64, name: str = "audit-writer"):
        self._write_group = write_group
        self.max_group = max_group
        self._queue: queue.SimpleQueue[tuple[T, Future[None]] | object] = queue.SimpleQueue()
        self._name = name
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self.groups = 0  # transactions written: entries / groups is the grouping achieved

    def write(self, item: T, *, timeout: float = 60) -> None:
        """Returns once ``item`` is committed; raises what its group's transaction raised."""
        self._ensure_running()
        done: Future[None] = Future()
        self._queue.put((item, done))
        done.result(timeout)

    def _ensure_running(self) -> None:
        # Started on first use, so a catalog opened before a fork (a server's master) has none to lose.
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            group = [first]
            while len(group) < self.max_group:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    self._queue.put(_STOP)  # after this group
                    break
                group.append(more)
            self._commit(group)  # type: ignore[arg-type]  # _STOP was filtered out above

    def _commit(self, group: list[tuple[T, Future[None]]]) -> None:
        try:
            self._write_group([item for item, _ in group])
        except BaseException as err:  # handed to every caller of the group
            for _, done in group:
                done.set_exception(err)
        else:
            self.groups += 1
            for _, done in group:
                done.set_result(None)

    def close(self, timeout: float = 10) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._queue.put(_STOP)
            thread.join(timeout)


__all__ = ["GroupCommitter"]
