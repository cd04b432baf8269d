"""One month of one system's query events, as the 查核人員 sees it: how many, and what is flagged.

The rules come from the system's connection — the agreed connection whose 資料使用單位 and system
these are (``connections.timeline.governing_connection``), or the one a system token is bound to:
the 使用者 of its current 附件1, its 使用期限, and whether a 終止 ended it.  A 附件1 nobody agreed to
(one agency naming another's system, say) never governs another agency's month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Protocol

from ..connections.timeline import Connection as Agreed
from ..connections.timeline import ConnectionRecords, connection, governing_connection
from ..errors import InputError
from ..forms.annex5_query_log import month_bounds as register_month_bounds
from ..taiwan import InvalidValue, account_key, parse_date
from .anomalies import Connection, Flag, Thresholds, flag_month
from .values import QueryEvent, QueryEventLog

APPLICATIONS = ("annex1-interface", "annex1-copy")
SEARCHED = 500  # the newest applications looked at for a connection


class QueryLogSettings(Protocol):
    """The settings the flags read (``Settings`` has them; the concern does not import the edges)."""

    # Properties: a frozen settings object provides them read-only.
    @property
    def query_log_office_hours(self) -> str: ...
    @property
    def query_log_volume_factor(self) -> float: ...
    @property
    def query_log_volume_min(self) -> int: ...
    @property
    def query_log_repeat(self) -> int: ...
    @property
    def query_log_no_case_purposes(self) -> str: ...
    @property
    def query_log_extra_working_days(self) -> str: ...


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


def rules_of(found: Agreed | None) -> Connection | None:
    """What the flags read of a connection: its 使用者, 使用期限 and 終止日期."""
    if found is None:
        return None
    users = frozenset(account_key(u["account"]) if u.get("account") else u.get("name") for u in found.users)
    return Connection(users=frozenset(u for u in users if u), record_id=found.current_application,
                      period_start=found.period_start, period_end=found.period_end,
                      terminated_on=found.terminated_on, connection_id=found.id)


def connection_of(records: ConnectionRecords, *, agency: str, system: str,
                  bound_to: str = "") -> Connection | None:
    """The rules of ``system``'s connection: the connection a system token is ``bound_to`` when it
    is that agency's and system's and agreed, else the system's agreed connection; None without one."""
    if bound_to:
        found = connection(records, bound_to, agency=agency)
        if found is not None and found.agreed and found.user_unit.get("code") == agency and found.system == system:
            return rules_of(found)
    return rules_of(governing_connection(records, agency=agency, system=system))


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


def month_of_queries(log: QueryEventLog, records: ConnectionRecords, *, agency: str, system: str, month: str,
                     thresholds: Thresholds) -> MonthOfQueries:
    start, end = month_bounds(month)
    events = log.query_events(agency=agency, system=system, start=start, end=end)
    connection = connection_of(records, agency=agency, system=system)
    closed = log.query_month(agency=agency, system=system, month=month)
    state = "open" if closed is None else "signed" if closed.record_id else "closed"
    return MonthOfQueries(agency, system, month, events, flag_month(events, connection, thresholds), connection,
                          state)
