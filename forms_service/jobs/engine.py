"""The huey instance of the settings, and the one claim per period that makes a periodic job run
once however many instances' schedulers enqueue it."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

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


def hour_of(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H")


def claim_period(huey: Huey, job: str, period: str) -> bool:
    """True for exactly one caller per (job, period) across every instance using this queue.

    The claim is a key set only when absent (Redis HSETNX, SQLite INSERT OR IGNORE); the claim of
    the period before the last is dropped so the store does not grow."""
    claimed = bool(huey.put_if_empty(f"once:{job}:{period}", worker_name().encode()))
    if claimed:
        huey.storage.delete_data(f"once:{job}:{_two_before(period)}")
    return claimed


def _two_before(period: str) -> str:
    from datetime import timedelta

    moment = datetime.strptime(period, "%Y-%m-%dT%H").replace(tzinfo=timezone.utc)
    return hour_of(moment - timedelta(hours=2))
