"""Access to records, shared by the API and the pages: scoped to the caller's agency, every
retrieval and refusal in the audit log."""

from __future__ import annotations

from typing import Any

from flask import Response

from ..access import Actor
from ..catalog import NewAuditEvent, Record, Version
from ..errors import NotFound
from .auth import refuse, source_ip
from .context import catalog, components
from .preview import render_page


def visible_record(actor: Actor, record_id: str) -> Record:
    record = catalog().get_record(record_id, agency=actor.scope)
    if record is None:
        # Same answer whether it does not exist or belongs to another agency; the attempt is logged.
        refuse(actor.id, actor.agency, "no such record in the caller's agency", action="record.read",
               record_id=record_id)
        raise NotFound(f"no record {record_id} that you may see", details={"record_id": record_id})
    return record


def pdf_download(actor: Actor, record: Record, version: Version, detail: dict[str, Any]) -> Response:
    """The version's bytes as an attachment, checked against the catalog's sha256; audited."""
    data = components().archive.read(version, actor=actor, source_ip=source_ip())
    catalog().audit(NewAuditEvent(
        actor=actor.id, agency=actor.agency, action="record.download", record_id=record.id,
        version=version.number, source_ip=source_ip(), detail={"sha256": version.sha256, **detail},
    ))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{record.form_id}-{record.id}-v{version.number}.pdf"',
        "X-Content-SHA256": version.sha256,
        "ETag": f'"{version.sha256}"',
        "Cache-Control": "private, no-store",
    })


def page_preview(actor: Actor, record: Record, version: Version, page: int, detail: dict[str, Any]) -> Response:
    """One page of a version as a small PNG (for the record page); audited like a download."""
    archive = components().archive
    image = render_page(version.sha256, page, lambda: archive.read(version, actor=actor, source_ip=source_ip()))
    catalog().audit(NewAuditEvent(
        actor=actor.id, agency=actor.agency, action="record.preview", record_id=record.id,
        version=version.number, source_ip=source_ip(), detail={"page": page, **detail},
    ))
    return Response(image, mimetype="image/png", headers={"Cache-Control": "private, no-store"})
