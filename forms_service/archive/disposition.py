"""Disposition: records past retention and not on hold are deleted — on request, approved by
someone else — leaving a tombstone and a signed certificate of destruction, itself archived.

規範 requires purging data within a month after termination; this is the archive's side of it:
the evidence is kept exactly as long as the schedule says, then destroyed verifiably.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import ObjectLocked, ObjectStore, Retention, StorageError

from ..access import Actor
from ..access.policy import Action, require
from ..catalog import NewAuditEvent, NewTombstone, Record, RecordCatalog, Tombstone
from ..clock import Clock
from ..convert import Converter
from ..errors import Conflict, ConversionFailed, Forbidden, InputError, NotFound, StorageFailed
from ..produce import DocumentSigner
from ..produce.render import render_docx
from ..produce.templates import packaged_template
from ..taiwan import TAIPEI

CERTIFICATE_YEARS = 10


class Disposition:
    def __init__(self, *, store: ObjectStore, records: RecordCatalog, converter: Converter | None,
                 signer: DocumentSigner, lock_mode: str, clock: Clock):
        self.store = store
        self.records = records
        self.converter = converter
        self.signer = signer
        self.lock_mode = lock_mode
        self.clock = clock

    def due(self) -> list[Record]:
        """Records whose every version is past retention and not on legal hold."""
        return self.records.records_past_retention(self.clock.now())

    def request(self, record_id: str, requester: Actor, *, reason: str) -> NewTombstone:
        require(requester, Action.DISPOSE, "只有系統管理者可申請銷毀")
        if not reason.strip():
            raise InputError("a disposition request needs a reason", details={"field": "reason"})
        record = self._due_record(record_id)
        if self.records.tombstone(record_id) is not None:
            raise Conflict(f"record {record_id} already has a disposition request")
        tombstone = NewTombstone(
            record_id=record.id, form_id=record.form_id, agency_name=record.agency_name, title=record.title,
            versions=[{"number": v.number, "object_key": v.object_key, "object_version": v.object_version,
                       "entry_object_key": v.entry_object_key, "entry_object_version": v.entry_object_version,
                       "sha256": v.sha256} for v in record.versions],
            requested_by=requester.id, request_reason=reason, requested_at=self.clock.now(),
        )
        self.records.add_tombstone(tombstone, NewAuditEvent(
            actor=requester.id, agency=requester.agency, action="record.dispose.request", record_id=record.id,
            detail={"reason": reason}))
        return tombstone

    def approve(self, record_id: str, approver: Actor) -> Tombstone:
        """Delete every version (all or none), then archive the signed certificate of destruction."""
        require(approver, Action.DISPOSE, "只有系統管理者可核准銷毀")
        tombstone = self.records.tombstone(record_id)
        if tombstone is None or tombstone.disposed_at is not None:
            raise NotFound(f"no pending disposition request for {record_id}", details={"record_id": record_id})
        if tombstone.requested_by == approver.id:
            raise Forbidden("核准銷毀者須為申請者以外的人")
        self._due_record(record_id, requested=True)
        objects = [(v["object_key"], v["object_version"]) for v in tombstone.versions]
        objects += [(v["entry_object_key"], v["entry_object_version"]) for v in tombstone.versions
                    if v["entry_object_key"]]
        now = self.clock.now()
        try:
            for key, version in objects:  # check all first: a locked one means nothing is deleted
                info = self.store.head(key, version)
                if info.legal_hold or (info.retention and info.retention.until > now):
                    raise Conflict(f"{key} is still locked in the store; nothing was deleted")
            for key, version in objects:
                self.store.delete(key, version)
        except ObjectLocked as err:
            raise Conflict(f"the store refused a deletion ({err}); the disposition is incomplete, "
                           "retry after checking") from err
        except StorageError as err:
            raise StorageFailed(f"the disposition could not reach the store: {err}") from err
        certificate = self._certificate(tombstone, approver, now)
        key = f"dispositions/{record_id}.pdf"
        try:
            stored = self.store.put(
                key, certificate, content_type="application/pdf",
                metadata={"record-id": record_id, "kind": "disposition"},
                retention=Retention(self.lock_mode, now + timedelta(days=365 * CERTIFICATE_YEARS)),  # type: ignore[arg-type]
            )
        except StorageError as err:
            raise StorageFailed(f"the versions were deleted but the certificate could not be stored: {err}") from err
        self.records.complete_disposal(
            record_id, approved_by=approver.id, disposed_at=now, certificate_key=key,
            certificate_version=stored.version_id, event=NewAuditEvent(
                actor=approver.id, agency=approver.agency, action="record.dispose", record_id=record_id,
                detail={"certificate": key, "sha256": stored.sha256}))
        done = self.records.tombstone(record_id)
        assert done is not None  # written in the transaction above
        return done

    def _due_record(self, record_id: str, *, requested: bool = False) -> Record:
        record = self.records.get_record(record_id)
        if record is None:
            raise NotFound(f"no record {record_id}", details={"record_id": record_id})
        expected = "disposal-requested" if requested else "active"
        if record.status != expected:
            raise Conflict(f"record {record_id} is {record.status}")
        now = self.clock.now()
        if any(v.legal_hold or v.retain_until is None or v.retain_until > now for v in record.versions):
            raise Conflict(f"record {record_id} is still under retention or on legal hold")
        return record

    def _certificate(self, tombstone: Tombstone, approver: Actor, now: datetime) -> bytes:
        if self.converter is None:
            raise ConversionFailed("the certificate of destruction needs the converter, which is not running")
        local = now.astimezone(TAIPEI)
        context = {
            "record_id": tombstone.record_id, "title": tombstone.title, "agency": tombstone.agency_name,
            "requested_by": tombstone.requested_by, "reason": tombstone.request_reason, "approved_by": approver.id,
            "disposed_at": f"中華民國{local.year - 1911}年{local.month}月{local.day}日 {local:%H:%M}",
            "versions": tombstone.versions,
        }
        pdf = self.converter.convert(render_docx(packaged_template("disposition-certificate.docx"), context))
        return self.signer.sign(pdf, field_name="Signature1", reason="紀錄銷毀證明", location=tombstone.agency_name,
                                stamp_role="簽署人", stamp_agency=tombstone.agency_name).pdf
