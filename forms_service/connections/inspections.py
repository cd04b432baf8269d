"""The data provider's audits of agencies (規範 七), scheduled ahead:

- 七(二): the provider notifies the agency at least a month before the audit — a date sooner is
  refused with the earliest allowed;
- 七(四)2: the agency answers its column of the 附件4 checklist 5 working days before the audit
  date (Taiwan's government calendar): ``audit-answers`` is due then, and done once the agency has
  sent its answers (``audit_work``) or filed a 附件4 after the audit was scheduled;
- 七(五): each finding of the audit has a deadline: ``finding-reply`` is due then until the agency
  has replied (函復).

Called inspections in the code, apart from the service's own audit log.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from ..access import Actor
from ..access.policy import Action, require
from ..catalog import NewAuditEvent, RecordCatalog, RecordFilter
from ..errors import InputError
from ..taiwan import (
    TAIPEI,
    InvalidValue,
    add_months,
    format_roc_short,
    is_valid_agency_code,
    normalize_agency_code,
    parse_date,
    working_days_before,
)
from .due import DueItem
from .values import Inspection, InspectionFinding

NOTICE_MONTHS = 1  # 七(二)
ANSWER_WORKING_DAYS = 5  # 七(四)2


class InspectionCatalog(RecordCatalog, Protocol):
    def add_inspection(self, inspection: Inspection) -> Inspection: ...

    def inspections(self, *, agency: str | None = None) -> list[Inspection]: ...

    def inspection_findings(self, *, inspection_id: str | None = None,
                            agency: str | None = None) -> list[InspectionFinding]: ...


def schedule(catalog: InspectionCatalog, actor: Actor, *, agency: str, audit_on: str, team: str, today: date,
             now: datetime, audit: Callable[[NewAuditEvent], None], connection_id: str = "") -> Inspection:
    """Schedule an audit of ``agency``; ``InputError`` naming the field for a date under a month ahead."""
    require(actor, Action.SCHEDULE_AUDITS, "稽核由資料提供機關排定（規範七）")
    agency = normalize_agency_code(agency)
    if not is_valid_agency_code(agency):
        raise InputError(f"機關代碼 {agency!r} 格式不符 (not an agency code)", details={"field": "agency"})
    try:
        day = parse_date(audit_on)
    except InvalidValue as err:
        raise InputError(f"稽核日期：{err}", details={"field": "audit_on"}) from None
    earliest = add_months(today, NOTICE_MONTHS)
    if day < earliest:
        raise InputError(f"稽核日期須於通知後至少一個月（規範七(二)），最早為 {earliest.isoformat()} "
                         f"(an audit is notified at least a month ahead: {earliest.isoformat()} at the earliest)",
                         details={"field": "audit_on"})
    team = " ".join(team.split())
    if not team:
        raise InputError("請填寫稽核小組成員 (name the audit team)", details={"field": "team"})
    if len(team) > 500:
        raise InputError("稽核小組至多 500 字 (the team is at most 500 characters)", details={"field": "team"})
    inspection = catalog.add_inspection(Inspection(
        id="insp_" + uuid.uuid4().hex, agency=agency, audit_on=day, team=team, scheduled_by=actor.id,
        scheduled_at=now, connection_id=connection_id.strip()))
    audit(NewAuditEvent(actor=actor.id, agency=agency, action="inspection.schedule",
                        detail={"inspection": inspection.id, "audit_on": day.isoformat(), "team": team}))
    return inspection


def answers_due_on(inspection: Inspection) -> date:
    return working_days_before(inspection.audit_on, ANSWER_WORKING_DAYS)


def answers_late(inspection: Inspection) -> bool:
    """The agency sent its answers after their due date: taken, and shown as late (七(四)2 sets a due
    date, not a bar)."""
    if inspection.answered_at is None:
        return False
    return inspection.answered_at.astimezone(TAIPEI).date() > answers_due_on(inspection)


def inspection_due(catalog: InspectionCatalog, *, today: date, agency: str | None = None) -> list[DueItem]:
    """``audit-answers`` for every audit still ahead whose agency has not answered; ``finding-reply``
    for every finding not replied to."""
    items = []
    audits = catalog.inspections(agency=agency)
    by_id = {i.id: i for i in audits}
    for finding in catalog.inspection_findings(agency=agency):
        if finding.replied_at is None and finding.inspection_id in by_id:
            parent = by_id[finding.inspection_id]
            title = (f"{format_roc_short(parent.audit_on)} 稽核缺失 {finding.number}"
                     f"{f'（第 {finding.item} 項）' if finding.item else ''}：{finding.issue[:60]}"
                     f"——請於 {format_roc_short(finding.due_on)} 前改善並函復")
            items.append(DueItem("finding-reply", finding.agency, finding.due_on, title,
                                 connection_id=parent.connection_id or None, record_id=parent.record_id or None))
    for inspection in audits:
        if inspection.audit_on < today or inspection.answered_at is not None:
            continue
        answered = catalog.find_records(RecordFilter(agency=inspection.agency, form_id="annex4-audit-checklist",
                                                     created_from=inspection.scheduled_at, limit=1))
        if answered:
            continue
        due_on = answers_due_on(inspection)
        title = (f"{format_roc_short(inspection.audit_on)} 稽核（{inspection.team}）：請於 {format_roc_short(due_on)} "
                 "前填覆附件4 自評欄並備妥佐證（規範七(四)2）")
        items.append(DueItem("audit-answers", inspection.agency, due_on, title,
                             connection_id=inspection.connection_id or None))
    return items
