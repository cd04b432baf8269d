"""Legal holds and retention extensions on every version of a record (administrators, with a reason).

The store enforces them (Object Lock); the catalog records them with an audit entry per version.
Retention is extended, never shortened.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from storage import ObjectStore, Retention, StorageError

from ..access import Actor
from ..access.policy import Action, require
from ..catalog import NewAuditEvent, Record, RecordCatalog
from ..errors import InputError, NotFound, StorageFailed


def set_legal_hold(store: ObjectStore, records: RecordCatalog, record_id: str, actor: Actor, *, hold: bool,
                   reason: str, source_ip: str = "") -> Record:
    """Place or lift a legal hold on every version of a record."""
    require(actor, Action.HOLD_AND_RETAIN, "只有系統管理者可設定或解除法律保全")
    if not reason.strip():
        raise InputError("a legal hold needs a reason (case number, court order, …)", details={"field": "reason"})
    record = _existing(records, record_id)
    for version in record.versions:
        try:
            store.set_legal_hold(version.object_key, version.object_version, hold)
        except StorageError as err:
            raise StorageFailed(f"the legal hold could not be changed: {err}") from err
        records.update_version_lock(record.id, version.number, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.hold" if hold else "record.release",
            record_id=record.id, version=version.number, source_ip=source_ip, detail={"reason": reason},
        ), legal_hold=hold)
    return _existing(records, record.id)


def extend_retention(store: ObjectStore, records: RecordCatalog, record_id: str, actor: Actor, *, until: date,
                     reason: str, default_mode: str, source_ip: str = "") -> Record:
    """Keep every version of a record until ``until``; an earlier date than now is refused."""
    require(actor, Action.HOLD_AND_RETAIN, "只有系統管理者可延長保存期限")
    record = _existing(records, record_id)
    retain_until = datetime(until.year, until.month, until.day, tzinfo=timezone.utc)
    for version in record.versions:
        if version.retain_until and retain_until < version.retain_until:
            raise InputError(f"version {version.number} is kept until {version.retain_until:%Y-%m-%d}; "
                             "retention can be extended, never shortened", details={"field": "until"})
    for version in record.versions:
        mode = version.retention_mode or default_mode
        try:
            store.extend_retention(version.object_key, version.object_version,
                                   Retention(mode, retain_until))  # type: ignore[arg-type]
        except StorageError as err:
            raise StorageFailed(f"the retention could not be extended: {err}") from err
        records.update_version_lock(record.id, version.number, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.retain", record_id=record.id, version=version.number,
            source_ip=source_ip, detail={"until": retain_until.isoformat(), "reason": reason},
        ), retain_until=retain_until)
    return _existing(records, record.id)


def _existing(records: RecordCatalog, record_id: str) -> Record:
    record = records.get_record(record_id)
    if record is None:
        raise NotFound(f"no record {record_id}", details={"record_id": record_id})
    return record
