"""The clock, injected wherever "now" decides something (retention dates, stamps, disposition).

Code that reads ``datetime.now()`` itself can only be tested by waiting or by monkeypatching.
Domain objects take a ``Clock`` instead: the service passes ``SYSTEM_CLOCK``, tests a
``FixedClock`` they move by hand.  Times are always timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


@dataclass
class FixedClock:
    """A clock that stands still until moved: ``advance(days=400)``."""

    at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware time")

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


SYSTEM_CLOCK = SystemClock()
