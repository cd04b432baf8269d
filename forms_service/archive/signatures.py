"""Signatures added to archived records: the data provider's countersignature on a 附件2, and
archive timestamps renewed before their certificate expires.  Each is a new version; the old ones
stay, locked.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime, timedelta

from pyhanko.pdf_utils.reader import PdfFileReader

from ..access import Actor
from ..access.policy import Action, require
from ..catalog import Record, RecordCatalog, Version
from ..errors import InputError, SigningFailed
from ..forms import get_form
from ..produce import DocumentSigner
from ..produce.stamp import COUNTERSIGNER_BOX
from .archive import Archive, StoredVersion


def countersign(archive: Archive, countersigner: DocumentSigner | None, record_id: str, actor: Actor, *,
                provider_name: str, source_ip: str = "") -> StoredVersion:
    """The data provider's second signature on an agency-signed 附件2, as a new version."""
    require(actor, Action.COUNTERSIGN, "只有資料提供機關可會簽")
    record = archive.record(record_id)
    if not get_form(record.form_id).countersigned:
        raise InputError(f"{record.form_id} records are not countersigned")
    if countersigner is None:
        raise SigningFailed("no countersigning key is configured (FORMS_PROVIDER_PKCS12)")
    latest = record.versions[-1]
    if is_countersigned(latest):
        raise InputError(f"record {record_id} is already countersigned (version {latest.number})")
    if record.signing_order and "provider" in record.signing_order:
        # The provider's block of the signing order: its turn once every block before it is signed.
        signed_blocks = {r.get("field") for r in latest.signature_report if r.get("kind") == "signature"}
        waiting = [b for b in record.signing_order[:record.signing_order.index("provider")] if b not in signed_blocks]
        if waiting:
            raise InputError(f"record {record_id} waits for the signature of {waiting[0]} before the provider's",
                             details={"field": "record"})
        field, box = "provider", None
    else:  # a record filed before signing orders: the provider's stamp beside the agency's
        field, box = "ProviderSignature", COUNTERSIGNER_BOX
    pdf = archive.read(latest, actor=actor, source_ip=source_ip)
    signed = countersigner.sign(pdf, field_name=field, reason=f"{provider_name}審核同意",
                                location=provider_name, stamp_role="審核", stamp_agency=provider_name,
                                stamp_box=box)
    return archive.add_version(record, signed.pdf, signed.report, actor, reason="countersigned",
                               action="record.countersign", source_ip=source_ip)


def is_countersigned(version: Version) -> bool:
    """Whether ``version`` carries the data provider's signature (in its block, or, on a record filed
    before signing orders, beside the agency's)."""
    fields = [r.get("field") for r in version.signature_report if r.get("kind") == "signature"]
    return "provider" in fields or "ProviderSignature" in fields


def timestamps_expiring(archive: Archive, records: RecordCatalog, *, within_days: int, now: datetime,
                        actor: Actor) -> Iterator[tuple[Record, Version, datetime]]:
    """Latest versions whose newest timestamp certificate expires within ``within_days``."""
    limit = now + timedelta(days=within_days)
    for version in records.latest_versions():
        expiry = last_timestamp_expiry(archive.read(version, actor=actor))
        if expiry is not None and expiry <= limit:
            yield archive.record(version.record_id), version, expiry


def renew(archive: Archive, signer: DocumentSigner, record: Record, version: Version, actor: Actor) -> StoredVersion:
    """A fresh document timestamp (and validation data) over ``version``, as a new version."""
    renewed = signer.timestamp(archive.read(version, actor=actor))
    fresh = archive.record(record.id)  # another version may have been added meanwhile
    return archive.add_version(fresh, renewed.pdf, renewed.report, actor, reason="archive timestamp renewed",
                               action="record.renew")


def last_timestamp_expiry(pdf: bytes) -> datetime | None:
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
