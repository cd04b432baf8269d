"""``FairHandout``: idle workers handed to waiting callers in turn, one caller after another.

A plain queue lets whoever asks again first win: a long register's chunks, converted back to
back, kept both LibreOffice workers while another agency's one-page form waited until it timed
out.  Here each caller waits in its own line, and a freed worker goes — directly, nobody can take
it in between — to the waiting caller that holds the fewest workers, and among equals to the next
in turn (round robin).  A big job gets one worker per turn; a small one waits at most for the
first conversion under way to end.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from typing import Generic, TypeVar

W = TypeVar("W")


class Ticket(Generic[W]):
    """A caller's place in line; ``wait`` until a worker is handed to it."""

    def __init__(self, handout: FairHandout[W], caller: str) -> None:
        self._handout = handout
        self.caller = caller
        self.handed = threading.Event()
        self.worker: W | None = None

    def wait(self, timeout: float) -> W:
        if self.handed.wait(timeout):
            assert self.worker is not None
            return self.worker
        return self._handout._give_up(self, timeout)


class HandoutTimeout(Exception):
    """No worker came within the time given."""


class FairHandout(Generic[W]):
    def __init__(self, workers: Iterable[W] = ()):
        self._idle: deque[W] = deque(workers)
        self._lines: OrderedDict[str, deque[Ticket[W]]] = OrderedDict()  # callers in turn order
        self._holders: dict[int, str] = {}  # id(worker) → the caller using it
        self._in_use: Counter[str] = Counter()
        self._lock = threading.Lock()

    def take(self, caller: str, timeout: float) -> W:
        """A worker for ``caller``; ``HandoutTimeout`` if none is handed to it within ``timeout``."""
        return self.reserve(caller).wait(timeout)

    def reserve(self, caller: str) -> Ticket[W]:
        """A place in ``caller``'s line — handed an idle worker at once when nobody waits."""
        ticket: Ticket[W] = Ticket(self, caller)
        with self._lock:
            if self._idle and not self._lines:
                self._hand(self._idle.popleft(), ticket)
            else:
                self._lines.setdefault(caller, deque()).append(ticket)
        return ticket

    def _give_up(self, ticket: Ticket[W], timeout: float) -> W:
        with self._lock:
            if ticket.worker is not None:  # handed just as the time ran out: keep it
                return ticket.worker
            line = self._lines.get(ticket.caller)
            if line is not None:
                line.remove(ticket)
                if not line:
                    del self._lines[ticket.caller]
        raise HandoutTimeout(f"no worker within {timeout:.0f} s")

    def give_back(self, worker: W) -> None:
        """Return ``worker``: to the waiting caller holding the fewest, or to the idle ones."""
        with self._lock:
            holder = self._holders.pop(id(worker), None)
            if holder is not None:
                self._in_use[holder] -= 1
            if not self._lines:
                self._idle.append(worker)
                return
            caller = min(self._lines, key=lambda c: self._in_use[c])  # the first among equals
            line = self._lines[caller]
            ticket = line.popleft()
            if line:
                self._lines.move_to_end(caller)  # its next request waits for everyone else's turn
            else:
                del self._lines[caller]
            self._hand(worker, ticket)

    def _hand(self, worker: W, ticket: Ticket[W]) -> None:
        self._holders[id(worker)] = ticket.caller
        self._in_use[ticket.caller] += 1
        ticket.worker = worker
        ticket.handed.set()

    def add(self, worker: W) -> None:
        self.give_back(worker)

    @property
    def waiting(self) -> dict[str, int]:
        with self._lock:
            return {caller: len(line) for caller, line in self._lines.items()}
