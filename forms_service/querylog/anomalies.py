"""Anomaly flags on one month of a system's query events, for the 查核人員's monthly check (規範 六(四)2).

Each flag has a kind and a sentence a reviewer can act on:

- ``off-hours``: outside office hours, or on a day that is not a working day of Taiwan's government
  calendar — national and government holidays (observed days included) from the ``holidays``
  package's Taiwan calendar, not weekdays alone; a make-up working day (補行上班), which that
  calendar does not list, is named in ``Thresholds.extra_working_days`` (a setting);
- ``unapproved-user``: the querier is not a 使用者 of the connection's current 附件1;
- ``outside-period``: before or after the 使用期限, or after the connection was terminated;
- ``volume``: a user's day far above his usual day (his median busy day in the month);
- ``repeat``: one user querying the same subject many times in the month;
- ``no-case``: no case number where the purpose needs one.

Pure functions of the events and what the connection says; the thresholds come from settings.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from ..taiwan import TAIPEI, account_key, format_roc_short, is_working_day
from .values import QueryEvent

KINDS = ("off-hours", "unapproved-user", "outside-period", "volume", "repeat", "no-case")


# The kinds of flag, as the pages and the 附件5 name them.
KIND_NAMES = {"off-hours": "非上班時間", "unapproved-user": "非核准使用者", "outside-period": "使用期限外",
              "volume": "單日查詢量異常", "repeat": "重複查詢同一對象", "no-case": "未填案號"}

@dataclass(frozen=True)
class Thresholds:
    office_start: time = time(8, 0)
    office_end: time = time(18, 0)
    volume_factor: float = 3.0  # a day above this many times the user's usual day …
    volume_min: int = 50  # … and above this many queries
    repeat: int = 5  # the same subject this many times by one user in a month
    no_case_purposes: tuple[str, ...] = ()  # purposes that need no case number (default: every one needs one)
    extra_working_days: tuple[date, ...] = ()  # make-up working days (補行上班) the calendar does not list


@dataclass(frozen=True)
class Connection:
    """What the connection's current 附件1 says, for the flags."""

    # approved 使用者: accounts as compared (``account_key``), or names where the 附件1 gives none
    users: frozenset[str]
    period_start: date | None = None
    period_end: date | None = None
    terminated_on: date | None = None
    record_id: str = ""  # the current 附件1
    connection_id: str = ""  # its first 附件1


@dataclass(frozen=True)
class Flag:
    event_id: str
    kind: str
    sentence: str

    def as_dict(self) -> dict[str, str]:
        return {"event_id": self.event_id, "kind": self.kind, "sentence": self.sentence}



def flag_month(events: Iterable[QueryEvent], connection: Connection | None,
               thresholds: Thresholds = Thresholds()) -> list[Flag]:
    """Every flag of the month's events, in the events' order."""
    events = list(events)
    flags: list[Flag] = []
    for event in events:
        flags += _event_flags(event, connection, thresholds)
    flags += _volume_flags(events, thresholds)
    flags += _repeat_flags(events, thresholds)
    order = {event.event_id: n for n, event in enumerate(events)}
    return sorted(flags, key=lambda f: (order.get(f.event_id, 0), KINDS.index(f.kind)))


def _local(event: QueryEvent) -> datetime:
    return event.at.astimezone(TAIPEI)


def _who(event: QueryEvent) -> str:
    user = event.data.get("user", {})
    return f"{user.get('name', '')}（{user.get('account', '')}）"


def _event_flags(event: QueryEvent, connection: Connection | None, thresholds: Thresholds) -> list[Flag]:
    flags = []
    at = _local(event)
    when = f"{format_roc_short(at.date())} {at:%H:%M}"
    if not is_working_day(at.date(), thresholds.extra_working_days):
        flags.append(Flag(event.event_id, "off-hours", f"{_who(event)} 於非上班日 {when} 查詢"))
    elif not thresholds.office_start <= at.time() < thresholds.office_end:
        flags.append(Flag(event.event_id, "off-hours",
                          f"{_who(event)} 於上班時間（{thresholds.office_start:%H:%M}–"
                          f"{thresholds.office_end:%H:%M}）外之 {when} 查詢"))
    if connection is not None:
        user = event.data.get("user", {})
        if account_key(str(user.get("account", ""))) not in connection.users and \
                user.get("name") not in connection.users:
            flags.append(Flag(event.event_id, "unapproved-user",
                              f"{_who(event)} 非附件1（{connection.record_id}）所列之使用者"))
        day = at.date()
        if connection.terminated_on is not None and day > connection.terminated_on:
            flags.append(Flag(event.event_id, "outside-period", f"{when} 查詢，介接已於 "
                                                                f"{format_roc_short(connection.terminated_on)} 終止"))
        elif connection.period_start is not None and day < connection.period_start or \
                connection.period_end is not None and day > connection.period_end:
            flags.append(Flag(event.event_id, "outside-period", f"{when} 查詢，不在使用期限內"))
    purpose = str(event.data.get("purpose", ""))
    if not str(event.data.get("case_no", "")).strip() and purpose not in thresholds.no_case_purposes:
        flags.append(Flag(event.event_id, "no-case", f"查詢目的「{purpose}」未填案號"))
    return flags


def _volume_flags(events: list[QueryEvent], thresholds: Thresholds) -> list[Flag]:
    by_user_day: dict[str, Counter[date]] = defaultdict(Counter)
    for event in events:
        by_user_day[_user_key(event)][_local(event).date()] += 1
    flags = []
    for user, days in by_user_day.items():
        usual = statistics.median(days.values())
        for day, count in days.items():
            if count > thresholds.volume_min and count > thresholds.volume_factor * usual:
                first = next(e for e in events if _user_key(e) == user and _local(e).date() == day)
                flags.append(Flag(first.event_id, "volume",
                                  f"{_who(first)} 於 {format_roc_short(day)} 查詢 {count} 筆，"
                                  f"平日約 {usual:g} 筆"))
    return flags


def _repeat_flags(events: list[QueryEvent], thresholds: Thresholds) -> list[Flag]:
    seen: Counter[tuple[str, str]] = Counter()
    flags = []
    for event in events:
        subject = event.data.get("subject", {})
        key = (_user_key(event), subject.get("business_id") or subject.get("name") or "")
        seen[key] += 1
        if seen[key] == thresholds.repeat:
            flags.append(Flag(event.event_id, "repeat", f"{_who(event)} 本月第 {thresholds.repeat} "
                                                        f"次查詢同一對象 {key[1]}"))
    return flags


def _user_key(event: QueryEvent) -> str:
    user = event.data.get("user", {})
    return str(user.get("account") or user.get("name") or "")
