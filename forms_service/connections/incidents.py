"""Incidents (規範 六(六)4): an agency that finds its security breached, or the data leaked, misused
or tampered with, reports it to the data provider at once.

Filing an ``incident-report`` record (signed and archived like any form) makes an incident here;
the report goes to the provider's people at once — by mail, and on the provider's incidents page.
The provider *has* the report when a mail to one of them was accepted, or when one of them marks
it read (已收悉) on the page; that time is kept.  Until then ``incident-report`` is due (on the day
of discovery) and the daily run tries the mail again — first recording the incident of any archived
report whose recording was interrupted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol

from ..access import Actor
from ..access.policy import Action, require
from ..catalog import NewAuditEvent, RecordCatalog, RecordFilter
from ..errors import NotFound
from ..forms import get_form
from ..taiwan import TAIPEI, format_roc_short
from .due import DueItem
from .values import Incident, Oversight

# What sends the report: (subject, body) → the addresses that accepted it.
SendToProvider = Callable[[str, str], list[str]]


class IncidentCatalog(Oversight, RecordCatalog, Protocol):
    def audit(self, event: NewAuditEvent) -> Any: ...


def record_incident(catalog: IncidentCatalog, *, record_id: str, form: Any, now: datetime) -> Incident:
    """The incident of a just-archived ``incident-report`` record (``form``: its validated model)."""
    hour, minute = (int(x) for x in form.discovered_time.split(":"))
    discovered = datetime(form.discovered_on.year, form.discovered_on.month, form.discovered_on.day, hour, minute,
                          tzinfo=TAIPEI)
    return catalog.add_incident(Incident(
        record_id=record_id, agency=form.user_unit.code, system=form.system_name,
        related_record=form.related_record or "", discovered_at=discovered, level=form.level, recorded_at=now))


def report(catalog: IncidentCatalog, incident: Incident, *, send: SendToProvider | None, unit_name: str,
           provider_name: str, now: datetime) -> bool:
    """Send the report to the provider's people; True when one accepted it (its time recorded)."""
    if send is None or incident.reported_at is not None:
        return False
    discovered = incident.discovered_at.astimezone(TAIPEI)
    subject = f"資通安全事件通報：{unit_name}（{incident.system}）"
    body = (f"{unit_name}（{incident.agency}）依使用商工資料資通安全管理規範六(六)4 通報資通安全事件：\n\n"
            f"系統：{incident.system}\n發現時間：{format_roc_short(discovered.date())} {discovered:%H:%M}\n"
            f"事件等級：{incident.level}級\n紀錄編號：{incident.record_id}\n\n"
            f"事件經過、影響之資料及已採取之措施見該紀錄（已簽章典藏）。請登入{provider_name}之商工資料表單典藏"
            "「資安事件」頁確認收悉。\n\n此信由系統自動寄送，請勿回覆。\n")
    accepted = send(subject, body)
    if not accepted:
        return False
    if catalog.set_incident_reported(incident.record_id, at=now, how="mail: " + ", ".join(accepted)):
        catalog.audit(NewAuditEvent(actor="service:incidents", agency=incident.agency, action="incident.report",
                                    record_id=incident.record_id, detail={"sent": accepted}))
    return True


def acknowledge(catalog: IncidentCatalog, actor: Actor, record_id: str, *, now: datetime) -> Incident:
    """The provider marks the report read on its page (已收悉): the report time, unless a mail came first."""
    require(actor, Action.ACKNOWLEDGE_INCIDENTS)
    incident = next((i for i in catalog.incidents() if i.record_id == record_id), None)
    if incident is None:
        raise NotFound(f"no incident {record_id}")
    how = f"page: {actor.id}"
    if not catalog.set_incident_reported(record_id, at=now, how=how):
        return incident  # the provider had it already (a mail, or another's 收悉): that time stands
    catalog.audit(NewAuditEvent(actor=actor.id, agency=incident.agency, action="incident.acknowledge",
                                record_id=record_id))
    return dataclasses.replace(incident, reported_at=now, reported_how=how)


def recover_missing(catalog: IncidentCatalog, *, now: datetime) -> list[Incident]:
    """Incidents of archived ``incident-report`` records that have none — the record was stored but
    the service stopped before recording the incident — made now, so that their report still goes."""
    known = {i.record_id for i in catalog.incidents()}
    made = []
    for record in catalog.find_records(RecordFilter(form_id="incident-report", limit=1000)):
        if record.id in known:
            continue
        form = get_form("incident-report").validate(record.input)
        made.append(record_incident(catalog, record_id=record.id, form=form, now=now))
    return made


def retry_reports(catalog: IncidentCatalog, *, send: SendToProvider | None, unit_names: dict[str, str],
                  provider_name: str, now: datetime) -> int:
    """Send again every report the provider does not have yet (recovering incidents whose recording
    was interrupted); how many went."""
    recover_missing(catalog, now=now)
    return sum(report(catalog, i, send=send, unit_name=unit_names.get(i.agency, i.agency),
                      provider_name=provider_name, now=now)
               for i in catalog.incidents() if i.reported_at is None)


def incident_due(catalog: IncidentCatalog, *, agency: str | None = None) -> list[DueItem]:
    """``incident-report`` for every incident the provider does not have yet, due the day it was found."""
    items = []
    for incident in catalog.incidents(agency=agency):
        if incident.reported_at is not None:
            continue
        discovered: date = incident.discovered_at.astimezone(TAIPEI).date()
        items.append(DueItem(
            "incident-report", incident.agency, discovered,
            f"{incident.system} 資安事件（{format_roc_short(discovered)} 發現）尚未送達資料提供機關：請確認通報"
            "（規範六(六)4）", incident.system, connection_id=incident.related_record or None,
            record_id=incident.record_id))
    return items
