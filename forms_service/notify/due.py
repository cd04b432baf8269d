"""Everything due now, across the regulation's duties — the monthly query check's
(``querylog.due``), the connections' (``connections.due``), the audits' and the incidents' — for the
due list, the pages and the daily reminders, overdue first."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Protocol

from ..catalog import WorkCatalog
from ..connections.due import DueItem, due_of, sort_due
from ..connections.incidents import IncidentCatalog, incident_due
from ..connections.inspections import InspectionCatalog, inspection_due
from ..connections.timeline import connections
from ..filing.turns import SignatureDueCatalog, signature_due
from ..querylog.due import DueCatalog, query_log_due


class AllDueCatalog(DueCatalog, InspectionCatalog, IncidentCatalog, SignatureDueCatalog, WorkCatalog, Protocol):
    """What the whole due list reads."""


def all_due(catalog: AllDueCatalog, *, today: date, close_days: int, review_days: int, explain_days: int,
            agency: str | None = None, within: int | None = None, signature_days: int = 5) -> list[DueItem]:
    """Everything due on ``today`` — the monthly query check's, the connections', the audits', the
    incidents', and the signatures documents wait for — overdue first; a connection's and an audit's
    items are for the agency's staff, a signature's for its signer, and whatever else is overdue
    also for the data provider's people."""
    found = connections(catalog, agency=agency)
    root_of = {member.record_id: c.id for c in found for member in c.members}
    items = query_log_due(catalog, today=today, close_days=close_days, review_days=review_days,
                          explain_days=explain_days, agency=agency, within=within)
    staff: dict[str, tuple[str, ...]] = {}
    providers: tuple[str, ...] = ()
    for user in catalog.users():
        if user.role == "staff":
            staff[user.agency] = (*staff.get(user.agency, ()), user.username)
        elif user.role == "provider":
            providers += (user.username,)
    intervals = {code: test_interval(catalog, code) for code in {c.user_unit.get("code", "") for c in found}}
    owed = [item for connection in found
            for item in due_of(connection, today, security_test_months=intervals[connection.user_unit.get("code", "")])]
    owed += inspection_due(catalog, today=today, agency=agency)
    # An incident names the 附件1 it concerns; the item belongs to that 附件1's connection.
    owed += [dataclasses.replace(i, connection_id=root_of.get(i.connection_id or "", i.connection_id))
             for i in incident_due(catalog, agency=agency)]
    for item in owed:
        if within is None or item.due_on <= today + timedelta(days=within):
            items.append(dataclasses.replace(item, remind=staff.get(item.agency, ())))
    # The provider hears of what is overdue, at every agency (its digest across agencies) — but not of
    # an agency's own signatures waiting: those are the agency's people's.
    items = [dataclasses.replace(i, remind=(*i.remind, *providers)) if i.overdue(today) and i.kind != "signature"
             else i for i in items]
    items += [i for i in signature_due(catalog, today=today, due_days=signature_days, agency=agency)
              if within is None or i.due_on <= today + timedelta(days=within)]
    return sort_due(items, today)


def test_interval(catalog: WorkCatalog, agency: str) -> int | None:
    """The agency's own interval for its security testing, from its profile (None: none set)."""
    profile = catalog.agency_profile(agency) if agency else None
    months = (profile.data if profile is not None else {}).get("security_test_months")
    return months if isinstance(months, int) and months > 0 else None
