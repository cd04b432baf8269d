"""What a connection owes over its life (規範 六(一)2), as due items of the shared shape
``{kind, connection_id, record_id, due_on, title}`` (``querylog/due.py`` has the monthly check's):

- ``renewal``: the 使用期限 of its current 附件1 ends within RENEWAL_NOTICE_DAYS (90), and neither a
  續用 nor a 終止 has been filed — due on the last day of the 使用期限;
- ``yearly-review``: a connection in use has no 附件4 self-review in the last 12 months — due 12
  months after the last one (or after the 使用期限 began), listed from REVIEW_NOTICE_DAYS (30) before;
- ``purge``: a terminated connection (its 終止 application filed) has no purge record (清除紀錄) —
  due a month after the 終止日期 (六(一)2(4)), the 資料使用單位's to do.

A terminated connection owes nothing else.  The audits' items (``audit-answers``, ``finding-reply``)
are in ``inspections``, the incidents' (``incident-report``) in ``incidents``.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Protocol

from ..querylog.due import DueCatalog, DueItem, query_log_due, sort_due
from ..taiwan import add_months, format_roc_short
from .incidents import IncidentCatalog, incident_due
from .inspections import InspectionCatalog, inspection_due
from .timeline import Connection, connections


class AllDueCatalog(DueCatalog, InspectionCatalog, IncidentCatalog, Protocol):
    """What the whole due list reads."""


RENEWAL_NOTICE_DAYS = 90
REVIEW_NOTICE_DAYS = 30


def all_due(catalog: AllDueCatalog, *, today: date, close_days: int, review_days: int, explain_days: int,
            agency: str | None = None, within: int | None = None) -> list[DueItem]:
    """Everything due on ``today`` — the monthly query check's, the connections', the audits' and the
    incidents' —
    overdue first; a connection's and an audit's items are for the agency's staff, and whatever is
    overdue also for the data provider's people."""

    found = connections(catalog, agency=agency)
    root_of = {member.record_id: c.id for c in found for member in c.members}
    # The query check names the 附件1 whose rules apply; the item belongs to that 附件1's connection.
    items = [dataclasses.replace(i, connection_id=root_of.get(i.connection_id or "", i.connection_id))
             for i in query_log_due(catalog, today=today, close_days=close_days, review_days=review_days,
                                    explain_days=explain_days, agency=agency, within=within)]
    staff: dict[str, tuple[str, ...]] = {}
    providers: tuple[str, ...] = ()
    for user in catalog.users():
        if user.role == "staff":
            staff[user.agency] = (*staff.get(user.agency, ()), user.username)
        elif user.role == "provider":
            providers += (user.username,)
    owed = [item for connection in found for item in due_of(connection, today)]
    owed += inspection_due(catalog, today=today, agency=agency)
    # An incident names the 附件1 it concerns; the item belongs to that 附件1's connection.
    owed += [dataclasses.replace(i, connection_id=root_of.get(i.connection_id or "", i.connection_id))
             for i in incident_due(catalog, agency=agency)]
    for item in owed:
        if within is None or item.due_on <= today + timedelta(days=within):
            items.append(dataclasses.replace(item, remind=staff.get(item.agency, ())))
    # The provider hears of what is overdue, at every agency (its digest across agencies).
    items = [dataclasses.replace(i, remind=(*i.remind, *providers)) if i.overdue(today) else i for i in items]
    return sort_due(items, today)


def due_of(found: Connection, today: date) -> list[DueItem]:
    state = found.state(today)
    agency = found.applicant.get("code", "")
    if found.terminated_on is not None:
        due_on = found.purge_due_on
        if found.purged_at is not None or due_on is None:
            return []
        return [DueItem("purge", found.user_unit.get("code", "") or agency, due_on,
                        f"{found.system} 已於 {format_roc_short(found.terminated_on)} 終止：請於 "
                        f"{format_roc_short(due_on)} 前清除資料並歸檔清除紀錄（規範六(一)2(4)）",
                        found.system, connection_id=found.id, record_id=found.termination)]
    items = []
    if found.period_end is not None and found.period_end - today <= timedelta(days=RENEWAL_NOTICE_DAYS):
        items.append(DueItem("renewal", agency, found.period_end,
                             f"{found.system} 使用期限 {format_roc_short(found.period_end)} 屆滿：請申請續用或終止",
                             found.system, connection_id=found.id, record_id=found.current_application))
    if state == "active":
        reviews = found.of_kind("review")
        since = reviews[-1].created_at.date() if reviews else found.period_start
        if since is not None:
            due_on = add_months(since, 12)
            if due_on - today <= timedelta(days=REVIEW_NOTICE_DAYS):
                # 附件4 is the 資料使用單位's own audit: the item is its to do.
                items.append(DueItem("yearly-review", found.user_unit.get("code", "") or agency, due_on,
                                     f"{found.system} 年度資安稽核（附件4）", found.system, connection_id=found.id))
    return items
