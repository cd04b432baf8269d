"""Evidence export: a ZIP of chosen records for a court, an auditor or another agency.

Layout of the ZIP::

    README.txt                         what this is and how to check it
    manifest.json                      every file with its sha256 and size, and the records
    manifest.json.p7s                  the service's detached CMS signature over manifest.json
    manifest.txt                       the manifest, readable
    records/<id>/record.json           the catalog's metadata of the record
    records/<id>/v<N>.pdf              each version, byte for byte as archived
    records/<id>/v<N>.verification.json / .txt   its signatures validated at export time

``manifest.json`` lists the hash of every other file (``manifest.json.p7s`` aside), so one signature
check plus one hash per file proves the whole bundle.  ``evidence_check.check_export`` does that,
pinning the service's signing certificate; so does ``openssl cms -verify`` followed by
``sha256sum``, with the signer's fingerprint compared by hand.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from signing import SigningError

from ..access import Actor
from ..catalog import AuditLog, NewAuditEvent, Record
from ..clock import Clock
from ..errors import InputError, SigningFailed
from .archive import Archive
from .evidence_check import MANIFEST, SIGNATURE
from .report_text import verification_text
from .verification import Verifier

SignBytes = Callable[[bytes], bytes]  # a detached CMS signature (DER) over the bytes

MAX_RECORDS = 200
FORMAT = "forms-service-evidence/1"

README = """Forms Service evidence export
=============================

manifest.json      lists every file in this ZIP with its SHA-256 and size, and the records exported;
manifest.json.p7s  is the service's detached CMS (PKCS#7) signature over manifest.json;
manifest.txt       is the same manifest, readable.

To check the bundle:
  forms-service export verify <this file>.zip [--signer-fingerprint SHA256]
or by hand:
  openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json -CAfile <root.pem> -purpose any
  then check that the signer's certificate is the service's (its SHA-256 fingerprint, as the service
  publishes it: any other certificate under the same root proves nothing), and compare `sha256sum`
  of each file with manifest.json.

Each PDF is the archived version byte for byte, with its own PAdES signatures; its
v<N>.verification.json/.txt is the validation made when the export was produced.
"""


@dataclass(frozen=True)
class Export:
    export_id: str
    data: bytes
    manifest_sha256: str
    records: int
    files: int


class EvidenceExporter:
    def __init__(self, *, archive: Archive, verifier: Verifier, sign: SignBytes, audit: AuditLog, clock: Clock):
        self.archive = archive
        self.verifier = verifier
        self.sign = sign
        self.audit = audit
        self.clock = clock

    def export(self, records: list[Record], actor: Actor, *, latest_only: bool = False,
               purpose: dict[str, str] | None = None, source_ip: str = "",
               progress: Callable[[Record], None] | None = None) -> Export:
        """Read, verify and bundle ``records`` (already scoped to what ``actor`` may see); audited."""
        return _build(self, records, actor, latest_only=latest_only, purpose=purpose, source_ip=source_ip,
                      progress=progress)


def _build(exporter: EvidenceExporter, records: list[Record], actor: Actor, *, latest_only: bool,
           purpose: dict[str, str] | None, source_ip: str, progress: Callable[[Record], None] | None) -> Export:
    if not records:
        raise InputError("choose at least one record to export", details={"field": "records"})
    if len(records) > MAX_RECORDS:
        raise InputError(f"an export holds at most {MAX_RECORDS} records; split the request",
                         details={"field": "records"})
    export_id = uuid.uuid4().hex
    created_at = exporter.clock.now()
    files: dict[str, bytes] = {"README.txt": README.encode()}
    listed = []
    for record in records:
        versions = record.versions[-1:] if latest_only else record.versions
        entry: dict[str, Any] = {"record_id": record.id, "form_id": record.form_id, "title": record.title,
                 "agency": {"name": record.agency_name, "code": record.agency_code}, "versions": []}
        files[f"records/{record.id}/record.json"] = _json(_record_metadata(record))
        for version in versions:
            pdf = exporter.archive.read(version, actor=actor, source_ip=source_ip)
            report = exporter.verifier.verify_version(record, version, pdf).as_dict()
            stem = f"records/{record.id}/v{version.number}"
            files[f"{stem}.pdf"] = pdf
            files[f"{stem}.verification.json"] = _json(report)
            files[f"{stem}.verification.txt"] = verification_text(report).encode()
            entry["versions"].append({
                "version": version.number, "file": f"{stem}.pdf", "sha256": version.sha256,
                "object_version": version.object_version, "signatures": version.signatures,
                "retain_until": version.retain_until.isoformat() if version.retain_until else None,
                "legal_hold": version.legal_hold, "verified_ok": report["ok"],
            })
        listed.append(entry)
        if progress:
            progress(record)
    manifest_bytes = write_manifest(export_id=export_id, created_at=created_at, created_by=actor.id,
                                    agency=actor.agency, purpose=purpose or {}, records=listed, files=files)
    try:
        signature = exporter.sign(manifest_bytes)
    except SigningError as err:
        raise SigningFailed(f"the export manifest could not be signed: {err}") from err
    files[MANIFEST] = manifest_bytes
    files[SIGNATURE] = signature
    data = _zip(files)
    manifest_sha256 = hashlib.sha256(manifest_bytes).hexdigest()
    exporter.audit.audit(NewAuditEvent(
        actor=actor.id, agency=actor.agency, action="evidence.export", source_ip=source_ip,
        detail={"export_id": export_id, "records": [r.id for r in records], "latest_only": latest_only,
                "manifest_sha256": manifest_sha256, **(purpose or {})},
    ))
    return Export(export_id, data, manifest_sha256, len(records), len(files))


def write_manifest(*, export_id: str, created_at: datetime, created_by: str, agency: str, purpose: dict[str, str],
                   records: list[dict[str, Any]], files: dict[str, bytes]) -> bytes:
    """The manifest (format ``forms-service-evidence/1``, read back by ``evidence_check`` years
    later: add fields, never change one), listing every file with its sha256 — ``files`` gains the
    readable ``manifest.txt`` first, so it is listed too."""
    manifest: dict[str, Any] = {
        "format": FORMAT, "export_id": export_id, "created_at": created_at.isoformat(),
        "created_by": created_by, "agency": agency, "purpose": purpose, "records": records,
    }
    files["manifest.txt"] = _manifest_text(manifest).encode()
    manifest["files"] = [{"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                         for path, data in sorted(files.items())]
    return _json(manifest)


def _record_metadata(record: Record) -> dict[str, Any]:
    return {
        "record_id": record.id, "form_id": record.form_id, "title": record.title,
        "agency": {"name": record.agency_name, "code": record.agency_code}, "user_unit": record.user_unit_name,
        "status": record.status, "created_at": record.created_at.isoformat(), "created_by": record.created_by,
        "period": {"start": record.period_start.isoformat() if record.period_start else None,
                   "end": record.period_end.isoformat() if record.period_end else None},
        "input": record.input,
    }


def _manifest_text(manifest: dict[str, Any]) -> str:
    lines = [
        "證據匯出清單 Evidence export manifest",
        f"匯出編號 export id:  {manifest['export_id']}",
        f"匯出時間 created:    {manifest['created_at']}",
        f"匯出者   by:         {_line(manifest['created_by'])} ({_line(manifest['agency']) or '—'})",
    ]
    for key, label in (("purpose", "目的 purpose:      "), ("case_no", "案號 case number:  ")):
        if manifest["purpose"].get(key):
            lines.append(f"{label}{_line(manifest['purpose'][key])}")
    lines.append("")
    for entry in manifest["records"]:
        lines.append(f"{entry['record_id']}  {entry['form_id']}  {_line(entry['title'])}  "
                     f"{_line(entry['agency']['name'])}")
        for v in entry["versions"]:
            state = "驗證通過 valid" if v["verified_ok"] else "驗證未通過 NOT VALID"
            lines.append(f"  v{v['version']}  sha256 {v['sha256']}  {state}")
    return "\n".join(lines) + "\n"


def _line(value: Any) -> str:
    """A value printed on one line of the readable manifest: line breaks and other control
    characters shown as escapes, so no value can add a line that looks like the service's."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(value))


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False).encode()


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    # A fixed timestamp on every entry: the same files give the same ZIP bytes.
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if path.endswith(".pdf") else zipfile.ZIP_DEFLATED
            archive.writestr(info, files[path])
    return buffer.getvalue()


def records_by_id(record_ids: Iterable[str], visible: Callable[[str], Record]) -> list[Record]:
    """The records to export in the order asked, each through ``visible`` (which scopes and refuses)."""
    seen, records = set(), []
    for record_id in record_ids:
        if record_id not in seen:
            seen.add(record_id)
            records.append(visible(record_id))
    return records
