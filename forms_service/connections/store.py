"""connections/ in the database: the provider's audits, their checklist items and findings, and
incidents (``…Row``), and ``SqlOversight``, their repository.  Rows never leave this module: reads are
mapped to the frozen values of ``values.py`` inside their session; every public method translates
database errors."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..db.base import Base, UtcDateTime
from ..db.guard import does, translating_database_errors
from ..db.repository import Repository, shallow
from ..errors import NotFound
from .values import Incident, Inspection, InspectionFinding, InspectionItem


class InspectionRow(Base):
    """The data provider's audit (稽核) of an agency (規範 七) — called an inspection here, apart
    from the service's own audit log — scheduled at least a month ahead."""

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20), index=True)
    connection_id: Mapped[str] = mapped_column(String(40), default="")
    audit_on: Mapped[date] = mapped_column(Date)
    team: Mapped[str] = mapped_column(String(500))
    scheduled_by: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    answered_by: Mapped[str] = mapped_column(String(200), default="")
    filled_by: Mapped[str] = mapped_column(String(200), default="")
    filled_title: Mapped[str] = mapped_column(String(200), default="")
    record_id: Mapped[str] = mapped_column(String(40), default="")
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InspectionItemRow(Base):
    """One checklist item of an audit: the agency's answer and evidence, the team's result."""

    __tablename__ = "inspection_items"

    inspection_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item: Mapped[int] = mapped_column(Integer, primary_key=True)
    self_result: Mapped[str] = mapped_column(String(20), default="")
    self_note: Mapped[str] = mapped_column(String(2000), default="")
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    answered_by: Mapped[str] = mapped_column(String(200), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    result: Mapped[str] = mapped_column(String(20), default="")
    result_note: Mapped[str] = mapped_column(String(2000), default="")
    judged_by: Mapped[str] = mapped_column(String(200), default="")
    judged_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class InspectionFindingRow(Base):
    """A finding of an audit, its deadline, reply and closing."""

    __tablename__ = "inspection_findings"
    __table_args__ = (Index("ix_inspection_findings_agency", "agency"),)

    inspection_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(20))
    item: Mapped[int | None] = mapped_column(Integer, nullable=True)
    issue: Mapped[str] = mapped_column(String(2000))
    action: Mapped[str] = mapped_column(String(2000))
    due_on: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reply: Mapped[str] = mapped_column(String(4000), default="")
    replied_by: Mapped[str] = mapped_column(String(200), default="")
    replied_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    closed_by: Mapped[str] = mapped_column(String(200), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class IncidentRow(Base):
    """A 資通安全事件 recorded by an agency, and when the provider had its report."""

    __tablename__ = "incidents"

    record_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency: Mapped[str] = mapped_column(String(20), index=True)
    system: Mapped[str] = mapped_column(String(200))
    related_record: Mapped[str] = mapped_column(String(40), default="")
    discovered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    level: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    reported_how: Mapped[str] = mapped_column(String(1000), default="")


@translating_database_errors
class SqlOversight(Repository):
    """``Oversight`` on the service's database (SQLite or PostgreSQL)."""

    @does("schedule the audit")
    def add_inspection(self, inspection: Inspection) -> Inspection:
        with self._writing() as s:
            s.add(InspectionRow(**shallow(inspection)))
        return inspection

    @does("list the audits")
    def inspections(self, *, agency: str | None = None) -> list[Inspection]:
        query = select(InspectionRow).order_by(InspectionRow.audit_on, InspectionRow.id)
        if agency is not None:
            query = query.where(InspectionRow.agency == agency)
        with self._sessions() as s:
            return [_inspection(r) for r in s.scalars(query)]

    @does("read the audit")
    def inspection(self, inspection_id: str) -> Inspection | None:
        with self._sessions() as s:
            row = s.get(InspectionRow, inspection_id)
            return _inspection(row) if row is not None else None

    @does("update the audit")
    def update_inspection(self, inspection: Inspection) -> Inspection:
        with self._writing() as s:
            row = s.get(InspectionRow, inspection.id)
            if row is None:
                raise NotFound(f"no audit {inspection.id}")
            for name, value in shallow(inspection).items():
                setattr(row, name, value)
        return inspection

    @does("save the checklist item")
    def save_inspection_item(self, item: InspectionItem) -> InspectionItem:
        values = {**shallow(item), "evidence": list(item.evidence)}
        with self._writing() as s:
            row = s.get(InspectionItemRow, (item.inspection_id, item.item))
            if row is None:
                s.add(InspectionItemRow(**values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
        return item

    @does("list the checklist items")
    def inspection_items(self, inspection_id: str) -> list[InspectionItem]:
        query = select(InspectionItemRow).where(InspectionItemRow.inspection_id == inspection_id) \
            .order_by(InspectionItemRow.item)
        with self._sessions() as s:
            return [_inspection_item(r) for r in s.scalars(query)]

    @does("save the finding")
    def save_inspection_finding(self, finding: InspectionFinding) -> InspectionFinding:
        values = shallow(finding)
        with self._writing() as s:
            row = s.get(InspectionFindingRow, (finding.inspection_id, finding.number))
            if row is None:
                s.add(InspectionFindingRow(**values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
        return finding

    @does("list the findings")
    def inspection_findings(self, *, inspection_id: str | None = None,
                            agency: str | None = None) -> list[InspectionFinding]:
        query = select(InspectionFindingRow).order_by(InspectionFindingRow.inspection_id,
                                                      InspectionFindingRow.number)
        if inspection_id is not None:
            query = query.where(InspectionFindingRow.inspection_id == inspection_id)
        if agency is not None:
            query = query.where(InspectionFindingRow.agency == agency)
        with self._sessions() as s:
            return [_inspection_finding(r) for r in s.scalars(query)]

    @does("record the incident")
    def add_incident(self, incident: Incident) -> Incident:
        with self._writing() as s:
            s.add(IncidentRow(**shallow(incident)))
        return incident

    @does("record the incident's report")
    def set_incident_reported(self, record_id: str, *, at: datetime, how: str) -> bool:
        with self._writing() as s:
            done = s.execute(update(IncidentRow).where(IncidentRow.record_id == record_id,
                                                       IncidentRow.reported_at.is_(None))
                             .values(reported_at=at, reported_how=how[:1000]))
            return bool(getattr(done, "rowcount", 0))

    @does("list the incidents")
    def incidents(self, *, agency: str | None = None) -> list[Incident]:
        query = select(IncidentRow).order_by(IncidentRow.discovered_at.desc(), IncidentRow.record_id)
        if agency is not None:
            query = query.where(IncidentRow.agency == agency)
        with self._sessions() as s:
            return [_incident(r) for r in s.scalars(query)]


def _inspection(row: InspectionRow) -> Inspection:
    return Inspection(id=row.id, agency=row.agency, audit_on=row.audit_on, team=row.team,
                      scheduled_by=row.scheduled_by, scheduled_at=row.scheduled_at,
                      connection_id=row.connection_id or "", answered_at=row.answered_at,
                      answered_by=row.answered_by or "", filled_by=row.filled_by or "",
                      filled_title=row.filled_title or "", record_id=row.record_id or "",
                      finished_at=row.finished_at)


def _inspection_item(row: InspectionItemRow) -> InspectionItem:
    data = {f.name: getattr(row, f.name) for f in fields(InspectionItem)}
    return InspectionItem(**{**data, "evidence": tuple(row.evidence or ())})


def _inspection_finding(row: InspectionFindingRow) -> InspectionFinding:
    return InspectionFinding(**{f.name: getattr(row, f.name) for f in fields(InspectionFinding)})


def _incident(row: IncidentRow) -> Incident:
    return Incident(**{f.name: getattr(row, f.name) for f in fields(Incident)})
