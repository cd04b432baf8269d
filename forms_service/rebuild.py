"""Disaster recovery: the catalog recreated from the object store alone.

Every version in the store has a catalog entry (JSON) beside its PDF, under the same retention,
holding the record's and the version's catalog fields.  ``rebuild`` reads them all into an empty
catalog; ``repair`` adds only what the catalog lacks (e.g. after a catalog write failed once the
PDF was already stored).  Each recreated row gets an audit event saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from storage import ObjectStore, StorageError

from .catalog import Catalog, NewAuditEvent, NewRecord, NewVersion
from .errors import InputError, StorageFailed
from .tokens import Actor


@dataclass
class RebuildReport:
    records: int = 0
    versions: int = 0
    skipped: list[str] = field(default_factory=list)


def read_entries(store: ObjectStore) -> dict[str, list[tuple[NewRecord, NewVersion]]]:
    """Every catalog entry in the store, by record id, in version order."""
    entries: dict[str, list[tuple[NewRecord, NewVersion]]] = {}
    try:
        objects = [o for o in store.list_versions("records/") if o.key.endswith(".json")]
        for info in objects:
            data = json.loads(store.get(info.key, info.version_id))
            record, version = _record(data["record"]), _version(data["version"], info.key, info.version_id)
            entries.setdefault(record.id, []).append((record, version))
    except StorageError as err:
        raise StorageFailed(f"the store could not be read: {err}") from err
    for versions in entries.values():
        versions.sort(key=lambda pair: pair[1].number)
    return entries


def rebuild(catalog: Catalog, store: ObjectStore, actor: Actor, *, progress: Callable[[], None] = lambda: None) -> RebuildReport:
    """Fill an *empty* catalog from the store."""
    if catalog.all_versions():
        raise InputError("the catalog is not empty: rebuild fills an empty catalog (use archive verify --repair)")
    return _import(catalog, store, actor, progress, known=set())


def repair(catalog: Catalog, store: ObjectStore, actor: Actor) -> RebuildReport:
    """Add the records and versions the store has and the catalog lacks."""
    known = {(v.record_id, v.number) for v in catalog.all_versions()}
    return _import(catalog, store, actor, lambda: None, known=known)


def _import(catalog: Catalog, store: ObjectStore, actor: Actor, progress, *, known: set) -> RebuildReport:
    report = RebuildReport()
    for record_id, versions in read_entries(store).items():
        have_record = any(rid == record_id for rid, _ in known)
        for record, version in versions:
            if (record_id, version.number) in known:
                continue
            event = NewAuditEvent(actor=actor.id, agency=actor.agency, action="record.rebuild", record_id=record_id,
                                  version=version.number, detail={"from": version.entry_object_key})
            if not have_record:
                if version.number != 1:
                    report.skipped.append(f"{record_id}: version {version.number} has no version 1 to start from")
                    break
                catalog.add_record(record, version, event)
                have_record = True
                report.records += 1
            else:
                catalog.add_version(record_id, version, event)
            report.versions += 1
            progress()
    return report


def _record(data: dict) -> NewRecord:
    return NewRecord(
        id=data["id"], form_id=data["form_id"], agency_name=data["agency_name"], agency_code=data["agency_code"],
        user_unit_name=data["user_unit_name"], title=data["title"],
        period_start=date.fromisoformat(data["period_start"]) if data.get("period_start") else None,
        period_end=date.fromisoformat(data["period_end"]) if data.get("period_end") else None,
        input=data["input"], created_at=datetime.fromisoformat(data["created_at"]), created_by=data["created_by"],
        subjects=tuple(data.get("subjects", ())),
    )


def _version(data: dict, entry_key: str, entry_version: str) -> NewVersion:
    return NewVersion(
        number=data["number"], object_key=data["object_key"], object_version=data["object_version"],
        sha256=data["sha256"], size=data["size"], pages=data["pages"], signatures=data["signatures"],
        signature_report=data["signature_report"], retention_mode=data["retention_mode"],
        retain_until=datetime.fromisoformat(data["retain_until"]) if data.get("retain_until") else None,
        created_at=datetime.fromisoformat(data["created_at"]), reason=data.get("reason", ""),
        revision_hashes=tuple(data.get("revision_hashes", ())), entry_object_key=entry_key,
        entry_object_version=entry_version,
    )
