"""Disposition: records past retention and not on hold are deleted — on request, approved by
someone else — leaving a tombstone and a signed certificate of destruction, itself archived.

規範 requires purging data within a month after termination; this is the archive's side of it:
the evidence is kept exactly as long as the schedule says, then destroyed verifiably.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from signing import SignatureOptions
from storage import ObjectLocked, Retention, StorageError

from .catalog import NewAuditEvent
from .catalog.models import Record, Tombstone
from .components import Components
from .errors import Conflict, Forbidden, InputError, NotFound, StorageFailed
from .pipeline import signature_stamp
from .taiwan import TAIPEI
from .render import render_docx
from .template_source import packaged_template
from .tokens import Actor

CERTIFICATE_YEARS = 10


def due(components: Components) -> list[Record]:
    return components.catalog.records_past_retention(datetime.now(timezone.utc))


def request(components: Components, record_id: str, requester: Actor, *, reason: str) -> Tombstone:
    if requester.role != "admin":
        raise Forbidden("only an administrator requests a disposition")
    if not reason.strip():
        raise InputError("a disposition request needs a reason", details={"field": "reason"})
    record = _due_record(components, record_id)
    if components.catalog.tombstone(record_id) is not None:
        raise Conflict(f"record {record_id} already has a disposition request")
    tombstone = Tombstone(
        record_id=record.id, form_id=record.form_id, agency_name=record.agency_name, title=record.title,
        versions=[{"number": v.number, "object_key": v.object_key, "object_version": v.object_version,
                   "entry_object_key": v.entry_object_key, "entry_object_version": v.entry_object_version,
                   "sha256": v.sha256} for v in record.versions],
        requested_by=requester.id, request_reason=reason, requested_at=datetime.now(timezone.utc),
    )
    components.catalog.add_tombstone(tombstone, NewAuditEvent(
        actor=requester.id, agency=requester.agency, action="record.dispose.request", record_id=record.id,
        detail={"reason": reason}))
    return tombstone


def approve(components: Components, record_id: str, approver: Actor) -> Tombstone:
    """Delete every version (all or none), then archive the signed certificate of destruction."""
    if approver.role != "admin":
        raise Forbidden("only an administrator approves a disposition")
    tombstone = components.catalog.tombstone(record_id)
    if tombstone is None or tombstone.disposed_at is not None:
        raise NotFound(f"no pending disposition request for {record_id}")
    if tombstone.requested_by == approver.id:
        raise Forbidden("the approver must be someone other than the requester")
    _due_record(components, record_id, requested=True)
    objects = [(v["object_key"], v["object_version"]) for v in tombstone.versions]
    objects += [(v["entry_object_key"], v["entry_object_version"]) for v in tombstone.versions if v["entry_object_key"]]
    now = datetime.now(timezone.utc)
    try:
        for key, version in objects:  # check all first: a locked one means nothing is deleted
            info = components.store.head(key, version)
            if info.legal_hold or (info.retention and info.retention.until > now):
                raise Conflict(f"{key} is still locked in the store; nothing was deleted")
        for key, version in objects:
            components.store.delete(key, version)
    except ObjectLocked as err:
        raise Conflict(f"the store refused a deletion ({err}); the disposition is incomplete, retry after checking") from err
    except StorageError as err:
        raise StorageFailed(f"the disposition could not reach the store: {err}") from err
    certificate = _certificate(components, tombstone, approver, now)
    key = f"dispositions/{record_id}.pdf"
    try:
        stored = components.store.put(
            key, certificate, content_type="application/pdf", metadata={"record-id": record_id, "kind": "disposition"},
            retention=Retention(components.settings.lock_mode, now + timedelta(days=365 * CERTIFICATE_YEARS)),
        )
    except StorageError as err:
        raise StorageFailed(f"the versions were deleted but the certificate could not be stored: {err}") from err
    components.catalog.complete_disposal(
        record_id, approved_by=approver.id, disposed_at=now, certificate_key=key,
        certificate_version=stored.version_id, event=NewAuditEvent(
            actor=approver.id, agency=approver.agency, action="record.dispose", record_id=record_id,
            detail={"certificate": key, "sha256": stored.sha256}))
    return components.catalog.tombstone(record_id)


def _due_record(components: Components, record_id: str, *, requested: bool = False) -> Record:
    record = components.catalog.get_record(record_id)
    if record is None:
        raise NotFound(f"no record {record_id}")
    expected = "disposal-requested" if requested else "active"
    if record.status != expected:
        raise Conflict(f"record {record_id} is {record.status}")
    now = datetime.now(timezone.utc)
    if any(v.legal_hold or v.retain_until is None or v.retain_until > now for v in record.versions):
        raise Conflict(f"record {record_id} is still under retention or on legal hold")
    return record


def _certificate(components: Components, tombstone: Tombstone, approver: Actor, now: datetime) -> bytes:
    local = now.astimezone(TAIPEI)
    context = {
        "record_id": tombstone.record_id, "title": tombstone.title, "agency": tombstone.agency_name,
        "requested_by": tombstone.requested_by, "reason": tombstone.request_reason, "approved_by": approver.id,
        "disposed_at": f"中華民國{local.year - 1911}年{local.month}月{local.day}日 {local:%H:%M}",
        "versions": tombstone.versions,
    }
    pdf = components.converter.convert(render_docx(packaged_template("disposition-certificate.docx"), context))
    options = SignatureOptions(field_name="Signature1", reason="紀錄銷毀證明", location=tombstone.agency_name,
                               level=components.level,
                               stamp=signature_stamp("簽署人", components.signer, tombstone.agency_name))
    signed, _ = components.producer.sign(pdf, components.signer, options)
    return signed
