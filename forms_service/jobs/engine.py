"""The huey instance of the settings, and the one claim per period that makes a periodic job run
once however many instances' schedulers enqueue it."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta, timezone

from huey import Huey, RedisHuey, SqliteHuey

from ..settings import Settings

QUEUE_NAME = "forms-service"


def make_huey(settings: Settings) -> Huey:
    """Redis when ``FORMS_JOBS_URL`` is set (instances share it), else a SQLite file of this data
    directory.  Results are not kept: a job writes what it did to the catalog."""
    if settings.jobs_url:
        return RedisHuey(QUEUE_NAME, url=settings.jobs_url, results=False, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(QUEUE_NAME, filename=str(settings.data_dir / "jobs.sqlite3"), results=False, utc=True,
                      timeout=30)


def worker_name() -> str:
    """Who holds a batch entry: host and process, so a stuck entry's holder can be found."""
    return f"{socket.gethostname()}:{os.getpid()}"


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def period_of(moment: datetime, length: timedelta) -> str:
    """The hour (``2026-11-30T10``) or the day (``2026-11-30``, UTC) ``moment`` falls in."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H" if length == HOUR else "%Y-%m-%d")


def claim_period(huey: Huey, job: str, moment: datetime, length: timedelta = HOUR) -> bool:
    """True for exactly one caller per job and period (the hour or day of ``moment``) across every
    instance using this queue.

    The claim is a key set only when absent (Redis HSETNX, SQLite INSERT OR IGNORE); the claim of
    the period before the last is dropped so the store does not grow."""
    claimed = bool(huey.put_if_empty(f"once:{job}:{period_of(moment, length)}", worker_name().encode()))
    if claimed:
        huey.storage.delete_data(f"once:{job}:{period_of(moment - 2 * length, length)}")
    return claimed
