"""Rows ↔ frozen values: the only place that knows both shapes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from .models import (
    AgencyProfileRow,
    ApiTokenRow,
    AuditEventRow,
    AuditSealRow,
    BatchEntryRow,
    BatchRow,
    DraftRow,
    IdempotencyKeyRow,
    IncidentRow,
    InspectionFindingRow,
    InspectionItemRow,
    InspectionRow,
    QueryEventRow,
    QueryFlagReviewRow,
    QueryMonthRow,
    QueryReviewerRow,
    RecordRow,
    RecordSubjectRow,
    RevisionHashRow,
    SetAsideObjectRow,
    TombstoneRow,
    UserRow,
    VersionRow,
)
from .values import (
    AgencyProfile,
    ApiToken,
    AuditEvent,
    AuditSeal,
    Batch,
    BatchEntry,
    Draft,
    IdempotencyKey,
    Incident,
    Inspection,
    InspectionFinding,
    InspectionItem,
    NewAuditSeal,
    NewRecord,
    NewTombstone,
    NewVersion,
    QueryEvent,
    QueryFlagReview,
    QueryMonth,
    QueryReviewer,
    Record,
    SetAsideObject,
    Tombstone,
    User,
    Version,
)


def shallow(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as a dict, without ``asdict``'s deep copy of every value."""
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


# --- values → rows ---------------------------------------------------------------------------

def record_row(record: NewRecord) -> RecordRow:
    data = shallow(record)
    data["signing_order"] = list(data["signing_order"])
    data.pop("awaiting", None)  # the catalog keeps it (next_block), from the versions it adds
    subjects = data.pop("subjects")
    row = RecordRow(**data)
    row.subjects = [RecordSubjectRow(record_id=record.id, ubn=ubn) for ubn in sorted(set(subjects))]
    return row


def version_row(version: NewVersion) -> VersionRow:
    data = shallow(version)
    hashes = data.pop("revision_hashes")
    row = VersionRow(**data)
    row.revisions = [RevisionHashRow(sha256=h) for h in hashes]
    return row


def tombstone_row(tombstone: NewTombstone) -> TombstoneRow:
    return TombstoneRow(**shallow(tombstone))


def seal_row(seal: NewAuditSeal) -> AuditSealRow:
    return AuditSealRow(**{k: v for k, v in shallow(seal).items() if k != "id"})


# --- rows → values ---------------------------------------------------------------------------

def version(row: VersionRow | Any, revision_hashes: Iterable[str] | None = None) -> Version:
    """From an ORM row (its revisions loaded), or from a Core row of the versions table with its
    ``revision_hashes`` read beside it."""
    if revision_hashes is None:
        revision_hashes = (h.sha256 for h in row.revisions)
    return Version(
        record_id=row.record_id, number=row.number, object_key=row.object_key, object_version=row.object_version,
        sha256=row.sha256, size=row.size, pages=row.pages, signatures=row.signatures,
        signature_report=list(row.signature_report or []), retention_mode=row.retention_mode,
        retain_until=row.retain_until, legal_hold=bool(row.legal_hold), reason=row.reason,
        created_at=row.created_at, revision_hashes=tuple(revision_hashes),
        entry_object_key=row.entry_object_key, entry_object_version=row.entry_object_version,
        pdfa=dict(row.pdfa or {}),
    )


def record(row: RecordRow | Any, versions: Iterable[Version] | None = None,
           subjects: Iterable[str] | None = None) -> Record:
    """From an ORM row (versions and subjects loaded), or from a Core row of the records table with
    its ``versions`` and ``subjects`` read beside it."""
    return Record(
        id=row.id, form_id=row.form_id, agency_name=row.agency_name, agency_code=row.agency_code,
        user_unit_name=row.user_unit_name, title=row.title, status=row.status, period_start=row.period_start,
        period_end=row.period_end, input=dict(row.input or {}), created_at=row.created_at,
        created_by=row.created_by, connection_id=row.connection_id or "", user_unit_code=row.user_unit_code or "",
        system_name=row.system_name or "", signing_order=tuple(row.signing_order or ()),
        awaiting=getattr(row, "awaiting", "") or "",
        subjects=tuple(sorted(subjects if subjects is not None else (s.ubn for s in row.subjects))),
        versions=tuple(versions if versions is not None else (version(v) for v in row.versions)),
    )


def token(row: ApiTokenRow | Any) -> ApiToken:
    """From an ORM row or a Core row of the tokens table (the same names)."""
    return ApiToken(id=row.id, prefix=row.prefix, agency=row.agency, role=row.role, label=row.label,
                    allowed_networks=row.allowed_networks or "", created_at=row.created_at,
                    revoked_at=row.revoked_at, expires_at=row.expires_at, system=row.system or "",
                    username=row.username or "", connection_id=row.connection_id or "")


def draft(row: DraftRow) -> Draft:
    return Draft(id=row.id, agency=row.agency, form_id=row.form_id, title=row.title, data=dict(row.data),
                 created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
                 awaiting=row.awaiting or "")


def agency_profile(row: AgencyProfileRow) -> AgencyProfile:
    return AgencyProfile(code=row.code, data=dict(row.data), updated_by=row.updated_by, updated_at=row.updated_at)


def query_event(row: QueryEventRow) -> QueryEvent:
    return QueryEvent(agency=row.agency, system=row.system, event_id=row.event_id, at=row.at, data=dict(row.data),
                      id=row.id, received_at=row.received_at, received_by=row.received_by)


def query_month(row: QueryMonthRow) -> QueryMonth:
    return QueryMonth(agency=row.agency, system=row.system, month=row.month, count=row.count,
                      object_key=row.object_key, object_version=row.object_version, sha256=row.sha256,
                      closed_at=row.closed_at, closed_by=row.closed_by, record_id=row.record_id)


def user(row: UserRow) -> User:
    return User(username=row.username, password_hash=row.password_hash, agency=row.agency, role=row.role,
                failed_logins=row.failed_logins, locked_until=row.locked_until, created_at=row.created_at,
                full_name=row.full_name or "", email=row.email or "", system_account=row.system_account or "")


def query_reviewer(row: QueryReviewerRow) -> QueryReviewer:
    return QueryReviewer(agency=row.agency, system=row.system, username=row.username, assigned_at=row.assigned_at,
                         assigned_by=row.assigned_by)


def query_flag_review(row: QueryFlagReviewRow) -> QueryFlagReview:
    return QueryFlagReview(
        agency=row.agency, system=row.system, month=row.month, event_id=row.event_id, kind=row.kind,
        sentence=row.sentence, querier_account=row.querier_account, state=row.state, request_note=row.request_note,
        requested_by=row.requested_by, requested_at=row.requested_at, answer=row.answer, answered_by=row.answered_by,
        answered_at=row.answered_at, decision_note=row.decision_note, decided_by=row.decided_by,
        decided_at=row.decided_at)


def audit_event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(id=row.id, at=row.at, actor=row.actor, agency=row.agency, action=row.action,
                      outcome=row.outcome, record_id=row.record_id, version=row.version, source_ip=row.source_ip,
                      detail=dict(row.detail or {}), prev_hash=row.prev_hash, hash=row.hash)


def audit_seal(row: AuditSealRow) -> AuditSeal:
    return AuditSeal(id=row.id, day=row.day, first_id=row.first_id, last_id=row.last_id, count=row.count,
                     prev_hash=row.prev_hash, last_hash=row.last_hash, object_key=row.object_key,
                     object_version=row.object_version, sha256=row.sha256, signature_key=row.signature_key,
                     signature_version=row.signature_version, retain_until=row.retain_until,
                     sealed_at=row.sealed_at)


def tombstone(row: TombstoneRow) -> Tombstone:
    return Tombstone(
        record_id=row.record_id, form_id=row.form_id, agency_name=row.agency_name, title=row.title,
        versions=list(row.versions or []), requested_by=row.requested_by, request_reason=row.request_reason,
        requested_at=row.requested_at, approved_by=row.approved_by, disposed_at=row.disposed_at,
        certificate_key=row.certificate_key, certificate_version=row.certificate_version,
    )


def idempotency_key(row: IdempotencyKeyRow) -> IdempotencyKey:
    return IdempotencyKey(actor=row.actor, key=row.key, request_hash=row.request_hash, state=row.state,
                          response=dict(row.response or {}))


def inspection(row: InspectionRow) -> Inspection:
    return Inspection(id=row.id, agency=row.agency, audit_on=row.audit_on, team=row.team,
                      scheduled_by=row.scheduled_by, scheduled_at=row.scheduled_at,
                      connection_id=row.connection_id or "", answered_at=row.answered_at,
                      answered_by=row.answered_by or "", filled_by=row.filled_by or "",
                      filled_title=row.filled_title or "", record_id=row.record_id or "",
                      finished_at=row.finished_at)


def inspection_item(row: InspectionItemRow) -> InspectionItem:
    data = {f.name: getattr(row, f.name) for f in fields(InspectionItem)}
    return InspectionItem(**{**data, "evidence": tuple(row.evidence or ())})


def inspection_finding(row: InspectionFindingRow) -> InspectionFinding:
    return InspectionFinding(**{f.name: getattr(row, f.name) for f in fields(InspectionFinding)})


def incident(row: IncidentRow) -> Incident:
    return Incident(**{f.name: getattr(row, f.name) for f in fields(Incident)})


def set_aside_object(row: SetAsideObjectRow) -> SetAsideObject:
    return SetAsideObject(**{f.name: getattr(row, f.name) for f in fields(SetAsideObject)})


def batch(row: BatchRow) -> Batch:
    return Batch(**{f.name: getattr(row, f.name) for f in fields(Batch)})


def batch_entry(row: BatchEntryRow) -> BatchEntry:
    return BatchEntry(**{f.name: getattr(row, f.name) for f in fields(BatchEntry)})
