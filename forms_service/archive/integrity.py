"""Integrity of the archive as a whole: does the store hold exactly what the catalog says — and
can the catalog be recreated from the store alone?

``verify_archive`` reads every catalogued version back (the store checks each object's sha256
against the digest recorded at write time, and we check it against the catalog's), then lists the
store's record objects to find any the catalog does not know.  It reports, by key and version id:

- ``missing``    — catalogued, but the store no longer has that version;
- ``mismatched`` — the bytes read back are not the ones archived (or cannot be read intact);
- ``orphaned``   — in the store, not in the catalog (e.g. the catalog write failed after the put);
  an object a taken-over filing left behind is not an orphan: the catalog records it as set aside.

Disaster recovery: every version has its catalog entry beside it (``entry.py``), and objects set
aside have a note beside them.  ``rebuild`` reads them all into an empty catalog; ``repair`` adds
only what the catalog lacks.  Each recreated row gets an audit entry saying so.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from storage import IntegrityError, ObjectNotFound, ObjectStore, StorageError

from ..access import Actor
from ..catalog import NewAuditEvent, NewRecord, NewVersion, RecordCatalog, SetAsideObject
from ..errors import InputError, StorageFailed
from ..forms.connection import starts_connection, unit_and_system
from .entry import is_set_aside_note, read_entry, read_set_aside

Progress = Callable[[], None]


@dataclass
class ArchiveReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    set_aside: int = 0  # objects of interrupted filings, recorded as no record's (not orphans)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.mismatched or self.orphaned)


def verify_archive(records: RecordCatalog, store: ObjectStore, *, progress: Progress = lambda: None) -> ArchiveReport:
    report = ArchiveReport()
    known: set[tuple[str, str]] = set()
    try:
        for version in records.all_versions():
            name = f"{version.object_key} (version {version.object_version}, record {version.record_id})"
            known.add((version.object_key, version.object_version))
            if version.entry_object_key:
                known.add((version.entry_object_key, version.entry_object_version))
            report.checked += 1
            try:
                data = store.get(version.object_key, version.object_version)
            except ObjectNotFound:
                report.missing.append(name)
            except IntegrityError as err:
                report.mismatched.append(f"{name}: {err}")
            except StorageError as err:
                report.mismatched.append(f"{name}: cannot be read intact ({err})")
            else:
                if hashlib.sha256(data).hexdigest() != version.sha256:
                    report.mismatched.append(f"{name}: sha256 differs from the catalogue's")
            progress()
        for aside in records.set_aside_objects():
            known.add((aside.key, aside.version_id))
            report.set_aside += 1
        for info in store.list_versions("records/"):
            # a note of objects set aside holds no evidence; the objects it names are known above
            if (info.key, info.version_id) not in known and not is_set_aside_note(info.key):
                report.orphaned.append(f"{info.key} (version {info.version_id})")
    except StorageError as err:
        raise StorageFailed(f"the store could not be listed: {err}") from err
    return report


@dataclass
class RebuildReport:
    records: int = 0
    versions: int = 0
    set_aside: int = 0  # objects recorded anew as no record's, from the notes beside them
    skipped: list[str] = field(default_factory=list)


def read_store(store: ObjectStore) -> tuple[dict[str, list[tuple[NewRecord, NewVersion]]], list[SetAsideObject]]:
    """Every catalog entry in the store, by record id, in version order — but for the entries set
    aside — and the objects set aside."""
    entries: dict[str, list[tuple[NewRecord, NewVersion]]] = {}
    aside: list[SetAsideObject] = []
    try:
        listed = [o for o in store.list_versions("records/") if o.key.endswith(".json")]
        for info in [o for o in listed if is_set_aside_note(o.key)]:
            aside += read_set_aside(store.get(info.key, info.version_id))
        no_records = {(o.key, o.version_id) for o in aside}
        for info in listed:
            if is_set_aside_note(info.key) or (info.key, info.version_id) in no_records:
                continue
            record, version = read_entry(store.get(info.key, info.version_id), key=info.key, version_id=info.version_id)
            entries.setdefault(record.id, []).append((record, version))
    except StorageError as err:
        raise StorageFailed(f"the store could not be read: {err}") from err
    for versions in entries.values():
        versions.sort(key=lambda pair: pair[1].number)
    return entries, aside


def _with_connections(entries: dict[str, list[tuple[NewRecord, NewVersion]]],
                      records: RecordCatalog) -> dict[str, list[tuple[NewRecord, NewVersion]]]:
    """Entries written before connections were indexed name none: each record's connection (its
    first 附件1, found by following ``related_record`` back through the store's entries or the
    catalog), 資料使用單位 and system, derived from its input as filing derives them."""
    firsts = {record_id: versions[0][0] for record_id, versions in entries.items() if versions}

    def connection_of(record: NewRecord, seen: set[str]) -> str:
        if record.connection_id or starts_connection(record.form_id, record.input):
            return record.connection_id or record.id
        related = record.input.get("related_record")
        if not related or related in seen:
            return ""
        if related in firsts:
            return connection_of(firsts[related], seen | {record.id})
        known = records.get_record(related)
        return known.connection_id if known is not None else ""

    fixed: dict[str, list[tuple[NewRecord, NewVersion]]] = {}
    for record_id, versions in entries.items():
        if not versions or (versions[0][0].connection_id and versions[0][0].user_unit_code):
            fixed[record_id] = versions
            continue
        unit, system = unit_and_system(versions[0][0].input)
        connection_id = connection_of(versions[0][0], set())
        fixed[record_id] = [(dataclasses.replace(record, connection_id=connection_id, user_unit_code=unit[:20],
                                                 system_name=system[:200]), version) for record, version in versions]
    return fixed


def rebuild(records: RecordCatalog, store: ObjectStore, actor: Actor, *,
            progress: Progress = lambda: None) -> RebuildReport:
    """Fill an *empty* catalog from the store."""
    if records.all_versions():
        raise InputError("the catalog is not empty: rebuild fills an empty catalog (use archive verify --repair)")
    return _import(records, store, actor, progress, known=set())


def repair(records: RecordCatalog, store: ObjectStore, actor: Actor) -> RebuildReport:
    """Add the records and versions the store has and the catalog lacks."""
    known = {(v.record_id, v.number) for v in records.all_versions()}
    return _import(records, store, actor, lambda: None, known=known)


def _import(records: RecordCatalog, store: ObjectStore, actor: Actor, progress: Progress, *,
            known: set[tuple[str, int]]) -> RebuildReport:
    report = RebuildReport()
    entries, aside = read_store(store)
    entries = _with_connections(entries, records)
    for record_id, versions in entries.items():
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
                records.add_record(record, version, event)
                have_record = True
                report.records += 1
            else:
                records.add_version(record_id, version, event)
            report.versions += 1
            progress()
    already = {(o.key, o.version_id) for o in records.set_aside_objects()}
    missing: dict[str, list[SetAsideObject]] = {}
    for o in aside:
        if (o.key, o.version_id) not in already:
            missing.setdefault(o.record_id, []).append(o)
    for record_id, found in sorted(missing.items()):
        records.set_aside(found, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.set-aside", record_id=record_id,
            detail={"reason": "recreated from the notes in the store", "objects": len(found)}))
        report.set_aside += len(found)
    return report
