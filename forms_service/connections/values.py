"""What connections/ keeps in the database — the provider's audits (their checklist items and
findings) and incidents reported to it — as the frozen values that cross its repository's protocol, and
that protocol (``Oversight``; ``store.py`` implements it, ``tests/contract/test_oversight_store.py``
runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Inspection:
    """The data provider's audit of an agency (規範 七): when, by whom, of which connection."""

    id: str
    agency: str
    audit_on: date
    team: str
    scheduled_by: str
    scheduled_at: datetime
    connection_id: str = ""
    answered_at: datetime | None = None  # the agency sent its column of the checklist (七(四)2)
    answered_by: str = ""
    filled_by: str = ""  # 受查單位填表人: name
    filled_title: str = ""
    record_id: str = ""  # the final 附件4, signed by the team
    finished_at: datetime | None = None


@dataclass(frozen=True)
class InspectionItem:
    """One item of an audit's 附件4 checklist: the agency's answer with its evidence, then the
    team's result."""

    inspection_id: str
    item: int
    self_result: str = ""  # conform | nonconform | na ("" not answered)
    self_note: str = ""
    evidence: tuple[str, ...] = ()  # record ids of archived records
    answered_by: str = ""
    answered_at: datetime | None = None
    result: str = ""
    result_note: str = ""
    judged_by: str = ""
    judged_at: datetime | None = None


@dataclass(frozen=True)
class InspectionFinding:
    """A finding of an audit (缺失), its deadline, the agency's reply (函復) and its closing."""

    inspection_id: str
    number: int
    agency: str
    item: int | None
    issue: str
    action: str
    due_on: date
    created_by: str
    created_at: datetime
    reply: str = ""
    replied_by: str = ""
    replied_at: datetime | None = None
    closed_by: str = ""
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Incident:
    """A 資通安全事件 an agency recorded (its signed record) and when the provider had the report."""

    record_id: str
    agency: str
    system: str
    related_record: str  # the connection's 附件1 ("" when none was named)
    discovered_at: datetime
    level: int
    recorded_at: datetime
    reported_at: datetime | None = None
    reported_how: str = ""  # "mail: …" or "page: …"


@runtime_checkable
class Oversight(Protocol):
    """The data provider's audits of agencies (規範 七) and the agencies' incident reports (六(六)4)."""

    def add_inspection(self, inspection: Inspection) -> Inspection: ...

    def inspections(self, *, agency: str | None = None) -> list[Inspection]:
        """Scheduled audits (of one agency when given), soonest first."""

    def inspection(self, inspection_id: str) -> Inspection | None: ...

    def update_inspection(self, inspection: Inspection) -> Inspection:
        """Write the audit's state (answers sent, final record); ``NotFound`` for an unknown id."""

    def save_inspection_item(self, item: InspectionItem) -> InspectionItem:
        """Create or replace one checklist item (inspection_id, item)."""

    def inspection_items(self, inspection_id: str) -> list[InspectionItem]:
        """The audit's checklist items, by item number."""

    def save_inspection_finding(self, finding: InspectionFinding) -> InspectionFinding:
        """Create or replace one finding (inspection_id, number)."""

    def inspection_findings(self, *, inspection_id: str | None = None,
                            agency: str | None = None) -> list[InspectionFinding]:
        """Findings of one audit or of one agency (all when neither), by audit and number."""

    def add_incident(self, incident: Incident) -> Incident: ...

    def set_incident_reported(self, record_id: str, *, at: datetime, how: str) -> bool:
        """Record when the provider had the report; False when it was recorded before (kept)."""

    def incidents(self, *, agency: str | None = None) -> list[Incident]:
        """Incidents (of one agency when given), newest first."""
