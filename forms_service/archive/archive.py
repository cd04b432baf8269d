"""The Archive: stores each version of a record in the object store, catalogs it, reads it back.

Order matters for "no half records": the PDF and its catalog entry (``entry.py``) are stored
first, both locked; then the catalog row and its audit entry are written in one transaction.  If
that transaction fails, the stored objects have no catalog row — invisible to users, and found by
``archive verify --repair`` — and the caller gets an error.

Every read compares the bytes with the sha256 the catalog recorded: a mismatch is an integrity
failure, written to the audit log and never served.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from storage import IntegrityError, ObjectStore, Retention, StorageError

from ..access import Actor
from ..catalog import AuditLog, NewAuditEvent, NewRecord, NewVersion, Record, RecordCatalog, SetAsideObject, Version
from ..clock import Clock
from ..errors import Conflict, FormsError, IntegrityFailed, NotFound, StorageFailed
from ..forms.connection import starts_connection, unit_and_system
from ..produce import Produced
from .entry import read_entry, record_entry, set_aside_note_key, write_entry, write_set_aside
from .filing import check_may_file
from .retention import RetentionPolicy


@dataclass(frozen=True)
class StoredVersion:
    record_id: str
    number: int
    object_key: str
    object_version: str
    sha256: str
    size: int


def version_key(form_id: str, record_id: str, number: int) -> str:
    return f"records/{form_id}/{record_id}/v{number}.pdf"


class Archive:
    def __init__(self, *, store: ObjectStore, records: RecordCatalog, audit: AuditLog, retention: RetentionPolicy,
                 clock: Clock, observe: Callable[[str, float], None] | None = None):
        self.observe = observe  # (stage, seconds): the service's metrics
        self.store = store
        self.records = records
        self.audit = audit
        self.retention = retention
        self.clock = clock

    def submit(self, produced: Produced, actor: Actor, *, source_ip: str = "", record_id: str = "") -> StoredVersion:
        """Store a new record: its first version, then the catalog row and audit entry.

        ``record_id``: the id fixed beforehand (a batch's entry, filed exactly once); a second
        filing under the same id is refused by the catalog."""
        spec, form = produced.spec, produced.form
        check_may_file(actor, spec, form)
        owner = spec.owner(form)
        now = self.clock.now()
        period = getattr(form, "period", None)
        user_unit = getattr(form, "user_unit", None)
        data = form.model_dump(mode="json", by_alias=True)
        record_id = record_id or "rec_" + uuid.uuid4().hex
        unit_code, system_name = unit_and_system(data)
        record = NewRecord(
            id=record_id, form_id=spec.form_id, agency_name=owner.name,
            agency_code=owner.code,
            user_unit_name=user_unit.name if user_unit else "",
            title=f"{spec.annex} {spec.title}（{owner.name}）",
            period_start=period.start if period else None, period_end=period.end if period else None,
            input=data, created_at=now, created_by=actor.id,
            subjects=tuple(sorted(spec.subjects(form))), user_unit_code=unit_code[:20], system_name=system_name[:200],
            connection_id=self._connection_of(record_id, spec.form_id, data), signing_order=produced.signing_order,
        )
        started = time.perf_counter()
        version = self._put(record, 1, produced.pdf, self.retention.for_new_record(spec, form, now), actor,
                            pages=produced.pages, report=produced.signature_report, reason="created",
                            pdfa=produced.pdfa)
        if self.observe is not None:
            self.observe("store", time.perf_counter() - started)
        try:
            self.records.add_record(record, version, NewAuditEvent(
                actor=actor.id, agency=actor.agency, action="record.create", record_id=record.id, version=1,
                source_ip=source_ip, detail={"form_id": spec.form_id, "sha256": version.sha256,
                                             **({"warnings": list(produced.warnings)} if produced.warnings else {})},
            ))
        except FormsError:
            if record_id and self.records.get_record(record_id) is not None:
                # Another worker filed this record first (its lease had passed): ours is no record's.
                self._set_aside([(version.object_key, version.object_version),
                                 (version.entry_object_key, version.entry_object_version)], record_id, actor,
                                reason="filed by another worker first")
                raise Conflict(f"record {record_id} was filed by another worker first") from None
            raise
        return _stored(record.id, version)

    def _connection_of(self, record_id: str, form_id: str, data: dict[str, Any]) -> str:
        """The connection a new record joins: its own id for a connection's first 附件1, else the
        connection of the record it names ("" for a record of no connection)."""
        if starts_connection(form_id, data):
            return record_id
        related = data.get("related_record")
        found = self.records.get_record(related) if related else None
        return found.connection_id if found is not None else ""

    def take_over(self, form_id: str, record_id: str, actor: Actor) -> StoredVersion | None:
        """Take over the filing of ``record_id`` that a stopped process began (a batch entry whose
        worker died).  If it stored the first version whole — the PDF and its entry beside it — but
        did not catalogue it, that signed, locked document becomes the record (returned) rather than
        a second copy; every other object it left is set aside, recorded as no record's, so
        ``archive verify`` tells it from one the catalog lost.  None: file the record anew."""
        pdf_key = version_key(form_id, record_id, 1)
        try:
            left = list(self.store.list_versions(pdf_key.rsplit("/", 1)[0] + "/"))
            whole = self._whole_first_version(left, pdf_key)
        except StorageError as err:
            raise StorageFailed(f"the store could not be read: {err}") from err
        adopted, keep = None, set()
        if whole is not None:
            record, version = whole
            self.records.add_record(record, version, NewAuditEvent(
                actor=actor.id, agency=actor.agency, action="record.create", record_id=record.id, version=1,
                detail={"form_id": form_id, "sha256": version.sha256, "adopted": version.entry_object_key}))
            adopted = _stored(record.id, version)
            keep = {(version.object_key, version.object_version),
                    (version.entry_object_key, version.entry_object_version)}
        leftovers = [(o.key, o.version_id) for o in left if (o.key, o.version_id) not in keep]
        if leftovers:
            self._set_aside(leftovers, record_id, actor, reason="left by an interrupted filing")
        return adopted

    def _whole_first_version(self, left: list[Any], pdf_key: str) -> tuple[NewRecord, NewVersion] | None:
        entry_key = pdf_key.removesuffix(".pdf") + ".json"
        pdfs = {o.version_id for o in left if o.key == pdf_key}
        for info in sorted((o for o in left if o.key == entry_key), key=lambda o: not o.is_latest):
            record, version = read_entry(self.store.get(entry_key, info.version_id), key=entry_key,
                                         version_id=info.version_id)
            if version.object_version in pdfs:
                return record, version
        return None

    def _set_aside(self, objects: list[tuple[str, str]], record_id: str, actor: Actor, *, reason: str) -> None:
        """Record ``objects`` (all in one record's folder) as no record's: a note beside them in the
        store first, for a catalog rebuilt from the store alone, then the catalog's rows."""
        now = self.clock.now()
        aside = [SetAsideObject(key, version_id, record_id, reason, now) for key, version_id in objects]
        note = set_aside_note_key(objects[0][0].rsplit("/", 1)[0], uuid.uuid4().hex)
        try:
            self.store.put(note, write_set_aside(aside), content_type="application/json",
                           metadata={"record-id": record_id})
        except StorageError as err:
            raise StorageFailed(f"the note of objects set aside could not be stored: {err}") from err
        self.records.set_aside(aside, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.set-aside", record_id=record_id,
            detail={"reason": reason, "objects": [f"{k} (version {v})" for k, v in objects], "note": note}))

    def add_version(self, record: Record, pdf: bytes, report: list[dict[str, Any]], actor: Actor, *, reason: str,
                    action: str, source_ip: str = "") -> StoredVersion:
        """Store a new version of ``record`` (countersigned, timestamps renewed), keeping its retention."""
        latest = record.latest
        if latest is None:
            raise NotFound(f"record {record.id} has no stored version to follow")
        retention = self.retention.for_next_version(latest, self.clock.now())
        version = self._put(record_entry(record), latest.number + 1, pdf, retention, actor,
                            pages=latest.pages, report=report, reason=reason, pdfa=latest.pdfa)
        self.records.add_version(record.id, version, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action=action, record_id=record.id, version=version.number,
            source_ip=source_ip, detail={"sha256": version.sha256, "reason": reason},
        ))
        return _stored(record.id, version)

    def record(self, record_id: str, *, agency: str | None = None) -> Record:
        """A catalogued record (within ``agency`` when given), or ``NotFound``."""
        found = self.records.get_record(record_id, agency=agency)
        if found is None:
            raise NotFound(f"no record {record_id}", details={"record_id": record_id})
        return found

    def read(self, version: Version, *, actor: Actor, source_ip: str = "") -> bytes:
        """A version's PDF from the store, checked against the sha256 the catalog recorded."""
        try:
            data = self.store.get(version.object_key, version.object_version)
        except IntegrityError as err:
            self._integrity_failure(version, actor, source_ip, found="unreadable", why=str(err))
        except StorageError as err:
            raise StorageFailed(f"the PDF could not be read from the archive: {err}") from err
        digest = hashlib.sha256(data).hexdigest()
        if digest != version.sha256:
            self._integrity_failure(version, actor, source_ip, found=digest,
                                    why="its sha256 differs from the catalog's")
        return data

    def _integrity_failure(self, version: Version, actor: Actor, source_ip: str, *, found: str, why: str) -> NoReturn:
        self.audit.audit(NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.integrity", outcome="failed",
            record_id=version.record_id, version=version.number, source_ip=source_ip,
            detail={"object_key": version.object_key, "expected": version.sha256, "found": found},
        ))
        raise IntegrityFailed(
            f"version {version.number} of record {version.record_id} failed its integrity check ({why}); "
            "it was not served and the failure is in the audit log",
            details={"record_id": version.record_id, "version": version.number})

    def _put(self, record: NewRecord, number: int, pdf: bytes, retention: Retention, actor: Actor, *, pages: int,
             report: list[dict[str, Any]], reason: str, pdfa: dict[str, Any]) -> NewVersion:
        """The PDF, then its catalog entry beside it, both under the same retention."""
        key = version_key(record.form_id, record.id, number)
        now = self.clock.now()
        try:
            stored = self.store.put(
                key, pdf, content_type="application/pdf", retention=retention,
                metadata={
                    "form-id": record.form_id, "record-id": record.id, "version": str(number),
                    "agency": record.agency_name, "agency-code": record.agency_code, "created-at": now.isoformat(),
                    "created-by": actor.id, "pages": str(pages), "signatures": str(len(report)), "reason": reason,
                },
            )
            version = NewVersion(
                number=number, object_key=key, object_version=stored.version_id, sha256=stored.sha256,
                size=stored.size, pages=pages, signatures=len(report), signature_report=report,
                retention_mode=retention.mode, retain_until=retention.until, created_at=now, reason=reason,
                revision_hashes=revision_hashes(pdf), pdfa=pdfa,
            )
            entry_key = key.removesuffix(".pdf") + ".json"
            entry = self.store.put(
                entry_key, write_entry(record, version), content_type="application/json", retention=retention,
                metadata={"record-id": record.id, "version": str(number), "pdf-version": stored.version_id},
            )
        except StorageError as err:
            raise StorageFailed(f"the record was not stored: {err}") from err
        return dataclasses.replace(version, entry_object_key=entry_key, entry_object_version=entry.version_id)


def revision_hashes(pdf: bytes) -> tuple[str, ...]:
    """sha256 of every earlier revision of ``pdf`` (each prefix ending at an %%EOF marker, with or
    without its end-of-line), so a copy cut back to one of them is recognised."""
    hashes = []
    for match in re.finditer(rb"%%EOF", pdf):
        end = match.end()
        for cut in (end, end + 1, end + 2):
            if cut < len(pdf):
                hashes.append(hashlib.sha256(pdf[:cut]).hexdigest())
    return tuple(dict.fromkeys(hashes))


def _stored(record_id: str, version: NewVersion) -> StoredVersion:
    return StoredVersion(record_id, version.number, version.object_key, version.object_version, version.sha256,
                         version.size)
