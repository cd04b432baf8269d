"""What the monthly query check still owes (規範 六(四)2), so that nothing depends on memory:

- ``monthly-review``: a finished month of a system's queries without its signed 附件5, due
  FORMS_QUERY_LOG_REVIEW_DAYS after the month ends (to its 查核人員);
- ``explanation``: a 查調者說明 the 查核人員 asked for and the querier has not given, due
  FORMS_QUERY_LOG_EXPLAIN_DAYS after the request (to the querier);
- ``no-events``: a system that should report its queries — it has a 查核人員, or it reported the
  month before — and reported nothing for a finished month, due when the month would close (to its
  查核人員, who checks the feed, or closes and signs the month off as one without queries).

Each item has the shape the due list of every duty shares: ``{kind, connection_id, record_id,
due_on, title}``; ``connection_id`` is the agreed connection the system's queries are checked against.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Protocol

from ..access.values import AccessCatalog
from ..catalog import RecordCatalog
from ..connections.due import DueItem, sort_due
from ..taiwan import account_key
from .month import connection_of, month_bounds
from .values import QueryEventLog, QueryReview

MONTHS_BACK = 3  # finished months looked at; older ones are overdue items of earlier lists or signed


class DueCatalog(QueryReview, QueryEventLog, AccessCatalog, RecordCatalog, Protocol):
    """What the due list reads."""


def finished_months(today: date, count: int = MONTHS_BACK) -> list[str]:
    """The ``count`` months before ``today``'s, newest first."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        months.append(f"{year:04d}-{month:02d}")
    return months


def last_day(month: str) -> date:
    year, number = int(month[:4]), int(month[5:])
    return date(year, number, calendar.monthrange(year, number)[1])


def query_log_due(catalog: DueCatalog, *, today: date, close_days: int, review_days: int, explain_days: int,
                  agency: str | None = None, within: int | None = None) -> list[DueItem]:
    """Everything the query check owes on ``today`` (of one agency when given), overdue first; with
    ``within``, only what is due in that many days (overdue items always)."""
    assignments = catalog.query_reviewers(agency=agency)
    reviewers = {(r.agency, r.system): r.username for r in assignments}
    months = finished_months(today)
    sources = {month: set(catalog.query_event_sources(start=month_bounds(month)[0], end=month_bounds(month)[1]))
               for month in months + [finished_months(today, MONTHS_BACK + 1)[-1]]}
    items: list[DueItem] = []
    connections: dict[tuple[str, str], str | None] = {}

    def connection(key: tuple[str, str]) -> str | None:
        if key not in connections:  # one indexed lookup per system
            found = connection_of(catalog, agency=key[0], system=key[1])
            connections[key] = found.connection_id if found else None
        return connections[key]

    for index, month in enumerate(months):
        before = sources[finished_months(today, MONTHS_BACK + 1)[index + 1]]
        # Expected to report: systems with a 查核人員 assigned by the month's end, and those that
        # reported the month before.
        assigned = {(r.agency, r.system) for r in assignments if r.assigned_at < month_bounds(month)[1]}
        expected = assigned | before
        for key in sorted(sources[month] | expected):
            if agency is not None and key[0] != agency:
                continue
            closed = catalog.query_month(agency=key[0], system=key[1], month=month)
            if closed is not None and closed.record_id:
                continue
            reviewer = reviewers.get(key)
            remind = (reviewer,) if reviewer else ()
            who = "" if reviewer else "（尚未指派查核人員）"
            if key in sources[month] or closed is not None:
                items.append(DueItem("monthly-review", key[0], last_day(month) + timedelta(days=review_days),
                                     f"{key[1]} {month} 查詢紀錄待查核簽核（附件5）{who}", key[1], month,
                                     connection(key), remind=remind))
            else:
                items.append(DueItem("no-events", key[0], last_day(month) + timedelta(days=close_days),
                                     f"{key[1]} {month} 未收到任何查詢事件：請確認系統介接，"
                                     f"或關閉該月並簽核為無查詢{who}",
                                     key[1], month, connection(key), remind=remind))
    for request in catalog.query_flag_reviews(agency=agency, states=("requested",)):
        asked = request.requested_at.date() if request.requested_at else today
        items.append(DueItem("explanation", request.agency, asked + timedelta(days=explain_days),
                             f"{request.system} {request.month} 查詢 {request.event_id} 待查調者說明"
                             f"（{request.querier_account}）", request.system, request.month,
                             connection((request.agency, request.system)),
                             remind=_people_with_account(catalog, request.agency, request.querier_account)))
    if within is not None:
        items = [i for i in items if i.due_on <= today + timedelta(days=within)]
    return sort_due(items, today)


def _people_with_account(catalog: AccessCatalog, agency: str, account: str) -> tuple[str, ...]:
    key = account_key(account)
    return tuple(u.username for u in catalog.users() if u.agency == agency and account_key(u.account) == key)
