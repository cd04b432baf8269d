"""An audit scheduled and the audited agency told at once (規範七(二), 七(四)2): the step the API,
the pages and the CLI take alike when the data provider schedules an audit."""

from __future__ import annotations

from typing import Any, Protocol

from ..access import Actor
from ..catalog import AuditLog, NewAuditEvent
from ..clock import Clock
from ..connections import inspections
from ..connections.inspections import InspectionCatalog
from ..connections.values import Inspection
from ..taiwan import TAIPEI, format_roc_long
from .reminders import Mailer, ReminderCatalog, send_notice


class NoticeCatalog(InspectionCatalog, ReminderCatalog, AuditLog, Protocol):
    """Where audits are kept, whose people are mailed, and the audit log."""


def schedule_and_notify(catalog: NoticeCatalog, mailer: Mailer | None, actor: Actor, body: dict[str, Any], *,
                        provider_name: str, clock: Clock) -> tuple[Inspection, list[str]]:
    """The audit scheduled (a month ahead at least) and the agency's staff mailed; the addresses
    that took the notice (none without a mailer: the agency's due list shows it anyway)."""
    now = clock.now()
    inspection = inspections.schedule(
        catalog, actor, agency=str(body.get("agency", "")), audit_on=str(body.get("audit_on", "")),
        team=str(body.get("team", "")), connection_id=str(body.get("connection_id", "") or ""),
        today=now.astimezone(TAIPEI).date(), now=now, audit=catalog.audit)
    if mailer is None:
        return inspection, []
    due = inspections.answers_due_on(inspection)
    sent = send_notice(catalog, mailer, agency=inspection.agency,
                       subject=f"商工資料使用稽核通知：{format_roc_long(inspection.audit_on)}",
                       body=f"{provider_name}將於 {format_roc_long(inspection.audit_on)} 辦理稽核"
                            f"（稽核小組：{inspection.team}），依使用商工資料資通安全管理規範七(四)2，請於 "
                            f"{format_roc_long(due)} 前填覆附件4 自評欄並備妥佐證資料。\n\n"
                            "此信由系統自動寄送，請勿回覆。\n")
    catalog.audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.notice",
                                detail={"inspection": inspection.id, "sent": sent.sent, "failed": sent.failed,
                                        "no_address": sent.no_address}))
    return inspection, sent.sent
