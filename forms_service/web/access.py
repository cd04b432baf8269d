"""Access to records, shared by the API and the pages: scoped to the caller's agency, refusals logged."""

from __future__ import annotations

from flask import Response, current_app

from ..catalog import NewAuditEvent
from ..catalog.models import Record, Version
from ..errors import NotFound
from ..preview import render_page
from ..records import read_version
from ..tokens import Actor
from .auth import source_ip


def visible_record(actor: Actor, record_id: str) -> Record:
    catalog = current_app.extensions["forms"].catalog
    scope = None if actor.sees_all_agencies else actor.agency
    record = catalog.get_record(record_id, agency=scope)
    if record is None:
        # Same answer whether it does not exist or belongs to another agency; the attempt is logged.
        catalog.audit(NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="record.read", outcome="refused",
            record_id=record_id, source_ip=source_ip(),
        ))
        raise NotFound(f"no record {record_id} that you may see")
    return record


def pdf_download(actor: Actor, record: Record, version: Version, detail: dict) -> Response:
    """The version's bytes as an attachment, read back with its sha256 checked; the download is audited."""
    components = current_app.extensions["forms"]
    data = read_version(components, version)
    components.catalog.audit(NewAuditEvent(
        actor=actor.id, agency=actor.agency, action="record.download", record_id=record.id,
        version=version.number, source_ip=source_ip(), detail={"sha256": version.sha256, **detail},
    ))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{record.form_id}-{record.id}-v{version.number}.pdf"',
        "X-Content-SHA256": version.sha256,
        "ETag": f'"{version.sha256}"',
        "Cache-Control": "private, no-store",
    })


def page_preview(actor: Actor, record: Record, version: Version, page: int, detail: dict) -> Response:
    """One page of a version as a small PNG (for the record page); audited like a download."""
    components = current_app.extensions["forms"]
    image = render_page(version.sha256, page, lambda: read_version(components, version))
    components.catalog.audit(NewAuditEvent(
        actor=actor.id, agency=actor.agency, action="record.preview", record_id=record.id,
        version=version.number, source_ip=source_ip(), detail={"page": page, **detail},
    ))
    return Response(image, mimetype="image/png", headers={"Cache-Control": "private, no-store"})
