"""Rows ↔ frozen values: the only place that knows both shapes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from ..db.repository import shallow
from .models import (
    AgencyProfileRow,
    AuditEventRow,
    AuditSealRow,
    DraftRow,
    IdempotencyKeyRow,
    RecordRow,
    RecordSubjectRow,
    RevisionHashRow,
    SetAsideObjectRow,
    TombstoneRow,
    VersionRow,
)
from .values import (
    AgencyProfile,
    AuditEvent,
    AuditSeal,
    Draft,
    IdempotencyKey,
    NewAuditSeal,
    NewRecord,
    NewTombstone,
    NewVersion,
    Record,
    SetAsideObject,
    Tombstone,
    Version,
)

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


def draft(row: DraftRow) -> Draft:
    return Draft(id=row.id, agency=row.agency, form_id=row.form_id, title=row.title, data=dict(row.data),
                 created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
                 awaiting=row.awaiting or "")


def agency_profile(row: AgencyProfileRow) -> AgencyProfile:
    return AgencyProfile(code=row.code, data=dict(row.data), updated_by=row.updated_by, updated_at=row.updated_at)


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


def set_aside_object(row: SetAsideObjectRow) -> SetAsideObject:
    return SetAsideObject(**{f.name: getattr(row, f.name) for f in fields(SetAsideObject)})


