"""Files an audited agency uploads as evidence for an item of its checklist (規範 七(四)2: 備妥佐證),
kept in the object store under Object Lock like the records: until the audit day plus the log
retention years, so the evidence outlives neither the audit nor the 附件4 that cites it.

A file is named in the item's evidence as ``file:<sha256>:<name>``; it is stored once per audit and
content (``inspection-evidence/<agency>/<inspection>/<sha256>``), and reading it back checks the bytes
against that hash.  Every upload and every read is in the audit log.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from datetime import date, datetime, time, timedelta, timezone

from storage import ObjectStore, Retention, StorageError

from ..access import Actor
from ..catalog import NewAuditEvent
from ..errors import InputError, IntegrityFailed, NotFound, StorageFailed
from .audit_work import Audit, AuditWorkCatalog, check_agency_side, check_item, evidence_file, file_entry, saved_item
from .values import Inspection, InspectionItem

MAX_FILE_BYTES = 20 * 1024 * 1024  # a scan or penetration-test report as the vendor hands it over
MAX_REQUEST_BYTES = 64 * 1024 * 1024  # a request carrying evidence: several items' files at once
MAX_FILES_PER_ITEM = 10


def file_key(inspection: Inspection, sha256: str) -> str:
    return f"inspection-evidence/{inspection.agency}/{inspection.id}/{sha256}"


def clean_name(filename: str) -> str:
    """The file's own name, without a path, control characters or format characters (Unicode Cc
    and Cf: the bidi overrides that make ``a‮gpj.exe`` read ``aexe.jpg``, zero-width marks), at
    most 120 characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(c for c in name if c != ":" and unicodedata.category(c) not in ("Cc", "Cf"))
    return name.strip()[-120:]


def retain_until(inspection: Inspection, retention_years: int, now: datetime) -> datetime:
    start = datetime.combine(inspection.audit_on, time(), timezone.utc)
    return max(start + timedelta(days=366 * retention_years), now + timedelta(days=1))


def upload(catalog: AuditWorkCatalog, store: ObjectStore, actor: Actor, inspection: Inspection, *, item: int,
           filename: str, content_type: str, data: bytes, lock_mode: str, retention_years: int, today: date,
           now: datetime, audit: Audit) -> InspectionItem:
    """Store ``data`` under retention and cite it in the item's evidence."""
    check_agency_side(actor, inspection, today)
    field = f"item-{item}-file"
    check_item(item)
    name = clean_name(filename)
    if not name:
        raise InputError(f"第 {item} 項：上傳之檔案須有檔名", details={"field": field})
    if not data:
        raise InputError(f"第 {item} 項：檔案「{name}」是空的", details={"field": field})
    if len(data) > MAX_FILE_BYTES:
        raise InputError(f"第 {item} 項：檔案「{name}」超過 {MAX_FILE_BYTES // (1024 * 1024)} MB",
                         details={"field": field})
    saved = saved_item(catalog, inspection, item)
    sha256 = hashlib.sha256(data).hexdigest()
    files = [f for f in map(evidence_file, saved.evidence) if f is not None]
    if all(f.sha256 != sha256 for f in files):
        if len(files) >= MAX_FILES_PER_ITEM:
            raise InputError(f"第 {item} 項至多 {MAX_FILES_PER_ITEM} 個佐證檔案", details={"field": field})
        retention = Retention(lock_mode, retain_until(inspection, retention_years, now))  # type: ignore[arg-type]
        try:
            store.put(file_key(inspection, sha256), data, content_type=content_type or "application/octet-stream",
                      metadata={"filename": name, "inspection": inspection.id, "item": str(item),
                                "uploaded-by": actor.id, "media-type": content_type or "application/octet-stream"},
                      retention=retention)
        except StorageError as err:
            raise StorageFailed(f"the evidence file was not stored: {err}") from err
        saved = catalog.save_inspection_item(dataclasses.replace(
            saved, evidence=(*saved.evidence, file_entry(sha256, name)), answered_by=actor.id, answered_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.evidence-upload",
                        detail={"inspection": inspection.id, "item": item, "sha256": sha256, "size": len(data),
                                "name": name}))
    return saved


def read(catalog: AuditWorkCatalog, store: ObjectStore, actor: Actor, inspection: Inspection, sha256: str, *,
         source_ip: str, audit: Audit) -> tuple[bytes, str, str]:
    """(bytes, file name, content type) of a file cited by the audit; ``NotFound`` for any other."""
    cited = {f.sha256: f.name for i in catalog.inspection_items(inspection.id)
             for f in map(evidence_file, i.evidence) if f is not None}
    if sha256 not in cited:
        raise NotFound(f"no evidence file {sha256} of audit {inspection.id}")
    key = file_key(inspection, sha256)
    try:
        info = store.head(key)
        data = store.get(key)  # the store checks the bytes against the SHA-256 it recorded
    except StorageError as err:
        raise StorageFailed(f"the evidence file could not be read: {err}") from err
    if hashlib.sha256(data).hexdigest() != sha256:
        raise IntegrityFailed(f"the evidence file {sha256} of audit {inspection.id} does not match its name")
    audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="inspection.evidence-read", source_ip=source_ip,
                        detail={"inspection": inspection.id, "sha256": sha256}))
    # cleaned again: a name cited before format characters were stripped is shown without them too
    return data, clean_name(cited[sha256]), str(info.metadata.get("media-type", "") or "application/octet-stream")
