"""The clock, injected wherever "now" decides something (retention dates, stamps, disposition), and
what the service does with time: calendar years added to a date, work repeated on an interval.

Code that reads ``datetime.now()`` itself can only be tested by waiting or by monkeypatching.
Domain objects take a ``Clock`` instead: the service passes ``SYSTEM_CLOCK``, tests a
``FixedClock`` they move by hand.  Times are always timezone-aware UTC.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)


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


def add_years(d: date, years: int) -> date:
    """The same calendar day ``years`` later (28 February for a 29 February that does not exist)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)
