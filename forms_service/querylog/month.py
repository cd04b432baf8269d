"""One month of one system's query events, as the 查核人員 sees it: how many, and what is flagged.

The connection's rules come from its newest 附件1 (the 資料使用單位 and system named there): its
使用者, its 使用期限, and whether a 終止 ended it.  Until connections are records of their own, that
附件1 is found among the stored applications.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Protocol

from ..catalog import QueryEvent, QueryEventLog, Record, RecordCatalog, RecordFilter
from ..errors import InputError
from ..forms.annex5_query_log import month_bounds as register_month_bounds
from ..taiwan import InvalidValue, parse_date
from .anomalies import Connection, Flag, Thresholds, flag_month

APPLICATIONS = ("annex1-interface", "annex1-copy")
SEARCHED = 500  # the newest applications looked at for a connection


class QueryLogSettings(Protocol):
    """The settings the flags read (``Settings`` has them; the concern does not import the edges)."""

    query_log_office_hours: str
    query_log_volume_factor: float
    query_log_volume_min: int
    query_log_repeat: int
    query_log_no_case_purposes: str
    query_log_extra_working_days: str


def thresholds_from(settings: QueryLogSettings) -> Thresholds:
    start, end = settings.query_log_office_hours.split("-")
    try:
        extra = tuple(parse_date(d.strip()) for d in settings.query_log_extra_working_days.replace("、", ",")
                      .split(",") if d.strip())
    except InvalidValue as err:
        raise InputError(f"FORMS_QUERY_LOG_EXTRA_WORKING_DAYS: {err}") from None
    return Thresholds(
        office_start=time.fromisoformat(start), office_end=time.fromisoformat(end) if end != "24:00" else time.max,
        volume_factor=settings.query_log_volume_factor, volume_min=settings.query_log_volume_min,
        repeat=settings.query_log_repeat,
        no_case_purposes=tuple(p.strip() for p in settings.query_log_no_case_purposes.replace("、", ",").split(",")
                               if p.strip()),
        extra_working_days=extra,
    )


def applications(records: RecordCatalog) -> list[Record]:
    """The newest 附件1 records (SEARCHED of each kind), read once for any number of systems."""
    found = []
    for form_id in APPLICATIONS:
        found += records.find_records(RecordFilter(form_id=form_id, limit=SEARCHED))
    return found


def connection_of(records: RecordCatalog, *, agency: str, system: str,
                  among: list[Record] | None = None) -> Connection | None:
    """What the newest 附件1 naming ``agency`` as 資料使用單位 and ``system`` says (None: no such 附件1);
    ``among``: the applications already read (``applications``), when asking for many systems."""
    ours = [r for r in (among if among is not None else applications(records))
            if (r.input.get("user_unit") or {}).get("code") == agency
            and (r.input.get("host") or {}).get("system_name") == system]
    ours.sort(key=lambda r: r.created_at, reverse=True)
    full = next((r for r in ours if r.input.get("application_type") != "termination"), None)
    if full is None:
        return None
    ended = next((r for r in ours if r.input.get("application_type") == "termination"
                  and r.created_at > full.created_at), None)
    users = frozenset(u.get("account") or u.get("name") for u in full.input.get("users") or [])
    period = full.input.get("period") or {}
    return Connection(
        users=frozenset(u for u in users if u), record_id=full.id,
        period_start=date.fromisoformat(period["start"]) if period.get("start") else None,
        period_end=date.fromisoformat(period["end"]) if period.get("end") else None,
        terminated_on=date.fromisoformat(ended.input["termination"]["effective_on"]) if ended else None,
    )


@dataclass(frozen=True)
class MonthOfQueries:
    agency: str
    system: str
    month: str  # 2026-11
    events: list[QueryEvent]  # in time order
    flags: list[Flag]
    connection: Connection | None

    state: str = "open"  # open | closed | signed

    def as_dict(self) -> dict[str, Any]:
        return {"agency": self.agency, "system": self.system, "month": self.month, "state": self.state,
                "count": len(self.events), "connection": self.connection.record_id if self.connection else None,
                "flags": [f.as_dict() for f in self.flags]}


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of ``2026-11`` in Taipei time, as 附件5 counts a month; ``InputError`` for another text."""
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month):
        raise InputError(f"{month!r} is not a month like 2026-11")
    return register_month_bounds(month)


def month_of_queries(log: QueryEventLog, records: RecordCatalog, *, agency: str, system: str, month: str,
                     thresholds: Thresholds) -> MonthOfQueries:
    start, end = month_bounds(month)
    events = log.query_events(agency=agency, system=system, start=start, end=end)
    connection = connection_of(records, agency=agency, system=system)
    closed = log.query_month(agency=agency, system=system, month=month)
    state = "open" if closed is None else "signed" if closed.record_id else "closed"
    return MonthOfQueries(agency, system, month, events, flag_month(events, connection, thresholds), connection,
                          state)
