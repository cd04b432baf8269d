"""Operations on stored records beyond creation: verification, countersigning, timestamp renewal.

Shared by the API and the CLI.  Each new state is a new version (the old ones stay, locked).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Iterator

from pyhanko.pdf_utils.reader import PdfFileReader
from signing import SignatureOptions, SigningError, Verification, add_document_timestamp, verify_pdf
from storage import Retention, StorageError

from .catalog import Catalog, NewAuditEvent
from .catalog.models import Record, Version
from .components import Components
from .errors import Forbidden, InputError, NotFound, SigningFailed, StorageFailed
from .forms import get_form
from .pipeline import StoredVersion, signature_stamp
from .tokens import Actor


@dataclass(frozen=True)
class RecordVerification:
    """A stored version checked against what the archive recorded when it was written."""

    record_id: str
    version: int
    verification: Verification
    archive_problems: list[str]
    stored_report: list[dict]

    @property
    def ok(self) -> bool:
        return self.verification.ok and not self.archive_problems

    def as_dict(self) -> dict:
        return {
            "record_id": self.record_id, "version": self.version, "ok": self.ok,
            "signatures": [s.as_dict() for s in self.verification.signatures],
            "problems": self.verification.problems + self.archive_problems,
            "report_at_signing": self.stored_report,
        }


def archive_problems(pdf: bytes, version: Version) -> list[str]:
    """What pyHanko cannot see: a file that is not the stored final version, or has fewer signatures."""
    problems = []
    digest = hashlib.sha256(pdf).hexdigest()
    if digest != version.sha256:
        if digest in {r.sha256 for r in version.revisions}:
            problems.append(f"the file is cut back to an earlier revision of version {version.number}")
        else:
            problems.append(f"the file's sha256 {digest[:16]}… differs from the archived {version.sha256[:16]}…")
    found = len(list(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures))
    if found != version.signatures:
        problems.append(f"the file has {found} signature(s) where the archive recorded {version.signatures}")
    return problems


def verify_stored(components: Components, record: Record, number: int | None = None) -> RecordVerification:
    version = pick_version(record, number)
    return verify_version_bytes(components, record, version, read_version(components, version))


def read_version(components: Components, version: Version) -> bytes:
    """A version's PDF from the store, its sha256 checked on the way."""
    try:
        return components.store.get(version.object_key, version.object_version)
    except StorageError as err:
        raise StorageFailed(f"the PDF could not be read from the archive: {err}") from err


def verify_version_bytes(components: Components, record: Record, version: Version, pdf: bytes) -> RecordVerification:
    """The report for a version's PDF already read from the store."""
    return RecordVerification(
        record.id, version.number, verify_pdf(pdf, components.trust_roots, revocation_mode=components.settings.revocation_mode),
        archive_problems(pdf, version), version.signature_report,
    )


def verify_file(pdf: bytes, trust_roots: list, catalog: Catalog | None, *,
                revocation_mode: str = "soft-fail") -> tuple[Verification, list[str]]:
    """A PDF from anywhere: its signatures, and — if the catalog knows it — the archive's checks."""
    verification = verify_pdf(pdf, trust_roots, revocation_mode=revocation_mode)
    found = catalog.find_version_by_hash(hashlib.sha256(pdf).hexdigest()) if catalog else None
    if found is None:
        return verification, []
    version, whole = found
    problems = archive_problems(pdf, version)
    if whole:
        return verification, problems
    return verification, [f"record {version.record_id}: {p}" for p in problems]


def countersign(components: Components, record_id: str, actor: Actor, *, source_ip: str = "") -> StoredVersion:
    """The data provider's second signature on an agency-signed 附件2, as a new version."""
    if actor.role not in ("provider", "admin"):
        raise Forbidden("only the data provider (role provider) countersigns")
    record = components.catalog.get_record(record_id)
    if record is None:
        raise NotFound(f"no record {record_id}")
    if not get_form(record.form_id).countersigned:
        raise InputError(f"{record.form_id} records are not countersigned")
    if components.provider_signer is None:
        raise SigningFailed("no countersigning key is configured (FORMS_PROVIDER_PKCS12)")
    latest = record.versions[-1]
    if sum(1 for r in latest.signature_report if r.get("kind") == "signature") >= 2:
        raise InputError(f"record {record_id} is already countersigned (version {latest.number})")
    pdf = read_version(components, latest)
    signed, report = components.producer.sign(pdf, components.provider_signer, SignatureOptions(
        field_name="ProviderSignature", reason=f"{components.settings.provider_name}審核同意",
        location=components.settings.provider_name, level=components.level,
        stamp=signature_stamp("審核", components.provider_signer, components.settings.provider_name,
                              box=(60, 60, 290, 130)),
    ))
    return components.archive.add_version(record, signed, report, actor, reason="countersigned",
                                          action="record.countersign", source_ip=source_ip)


def set_legal_hold(components: Components, record_id: str, actor: Actor, *, hold: bool, reason: str,
                   source_ip: str = "") -> Record:
    """Place or lift a legal hold on every version of a record (admin only, with a reason)."""
    if actor.role != "admin":
        raise Forbidden("only an administrator places or lifts legal holds")
    if not reason.strip():
        raise InputError("a legal hold needs a reason (case number, court order, …)", details={"field": "reason"})
    record = _existing(components, record_id)
    for version in record.versions:
        try:
            components.store.set_legal_hold(version.object_key, version.object_version, hold)
        except StorageError as err:
            raise StorageFailed(f"the legal hold could not be changed: {err}") from err
        components.catalog.update_version_lock(record.id, version.number, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.hold" if hold else "record.release",
            record_id=record.id, version=version.number, source_ip=source_ip, detail={"reason": reason},
        ), legal_hold=hold)
    return components.catalog.get_record(record.id)


def extend_retention(components: Components, record_id: str, actor: Actor, *, until: date, reason: str,
                     source_ip: str = "") -> Record:
    """Keep every version of a record longer; retention is never shortened."""
    if actor.role != "admin":
        raise Forbidden("only an administrator extends retention")
    record = _existing(components, record_id)
    retain_until = datetime(until.year, until.month, until.day, tzinfo=timezone.utc)
    for version in record.versions:
        if version.retain_until and retain_until < version.retain_until:
            raise InputError(f"version {version.number} is kept until {version.retain_until:%Y-%m-%d}; "
                             "retention can be extended, never shortened", details={"field": "until"})
    for version in record.versions:
        try:
            components.store.extend_retention(version.object_key, version.object_version,
                                              Retention(version.retention_mode or components.settings.lock_mode, retain_until))
        except StorageError as err:
            raise StorageFailed(f"the retention could not be extended: {err}") from err
        components.catalog.update_version_lock(record.id, version.number, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.retain", record_id=record.id, version=version.number,
            source_ip=source_ip, detail={"until": retain_until.isoformat(), "reason": reason},
        ), retain_until=retain_until)
    return components.catalog.get_record(record.id)


def _existing(components: Components, record_id: str) -> Record:
    record = components.catalog.get_record(record_id)
    if record is None:
        raise NotFound(f"no record {record_id}")
    return record


def timestamps_expiring(components: Components, within_days: int) -> Iterator[tuple[Record, Version, datetime]]:
    """Latest versions whose newest timestamp certificate expires within ``within_days``."""
    limit = datetime.now(timezone.utc) + timedelta(days=within_days)
    for version in components.catalog.latest_versions():
        pdf = read_version(components, version)
        expiry = _last_timestamp_expiry(pdf)
        if expiry is not None and expiry <= limit:
            yield version.record, version, expiry


def renew(components: Components, record: Record, version: Version, actor: Actor) -> StoredVersion:
    pdf = read_version(components, version)
    try:
        renewed = add_document_timestamp(pdf, components.signing)
    except SigningError as err:
        raise SigningFailed(str(err)) from err
    verification = verify_pdf(renewed, components.trust_roots)
    if not verification.ok:
        raise SigningFailed("the renewed document did not validate: " + "; ".join(verification.problems))
    fresh = components.catalog.get_record(record.id)
    return components.archive.add_version(fresh, renewed, [s.as_dict() for s in verification.signatures], actor,
                                          reason="archive timestamp renewed", action="record.renew")


def _last_timestamp_expiry(pdf: bytes) -> datetime | None:
    """The expiry of the TSA certificate of the newest timestamp (document or signature)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    expiry = None
    for sig in reader.embedded_signatures:
        if sig.sig_object_type == "/DocTimeStamp":
            expiry = sig.signer_cert.not_valid_after
        elif expiry is None:
            for attr in sig.signer_info["unsigned_attrs"] or []:
                if attr["type"].native == "signature_time_stamp_token":
                    signed_data = attr["values"][0]["content"]
                    tsa = [c.chosen for c in signed_data["certificates"] or [] if c.name == "certificate"]
                    if tsa:
                        expiry = min(c.not_valid_after for c in tsa)
    return expiry


def pick_version(record: Record, number: int | None) -> Version:
    if not record.versions:
        raise NotFound(f"record {record.id} has no stored version")
    if number is None:
        return record.versions[-1]
    for version in record.versions:
        if version.number == number:
            return version
    raise NotFound(f"record {record.id} has no version {number}")


__all__ = ["RecordVerification", "countersign", "read_version", "renew", "timestamps_expiring", "verify_file",
           "verify_stored", "verify_version_bytes"]
