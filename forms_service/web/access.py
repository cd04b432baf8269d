"""Access to records, shared by the API and the pages: scoped to the caller's agency, every
retrieval and refusal in the audit log."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Response

from ..access import Actor
from ..catalog import NewAuditEvent, Record, Version
from ..errors import NotFound, UnknownForm
from ..forms import get_form
from ..taiwan import TAIPEI, roc_year
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


def document_file_name(record: Record, version: Version) -> str:
    """What the file is, as a person saves it: ``附件2-臺北市稅捐稽徵處-115-12-06.pdf`` (the version
    after the first: ``…-第2版.pdf``)."""
    try:
        annex = get_form(record.form_id).annex
    except UnknownForm:
        annex = "紀錄"
    made = version.created_at.astimezone(TAIPEI).date()
    day = f"{roc_year(made)}-{made.month:02d}-{made.day:02d}"
    name = "-".join(part for part in (annex, record.agency_name, day) if part)
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "", name.replace("規範", ""))
    return f"{name}{f'-第{version.number}版' if version.number > 1 else ''}.pdf"


def attachment(name: str, ascii_name: str) -> str:
    """A Content-Disposition naming the file in Chinese (RFC 6266/5987), with an ASCII fallback."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def pdf_download(actor: Actor, record: Record, version: Version, detail: dict[str, Any]) -> Response:
    """The version's bytes as an attachment, checked against the catalog's sha256; audited."""
    data = components().archive.read(version, actor=actor, source_ip=source_ip())
    catalog().audit(NewAuditEvent(
        actor=actor.id, agency=actor.agency, action="record.download", record_id=record.id,
        version=version.number, source_ip=source_ip(), detail={"sha256": version.sha256, **detail},
    ))
    fallback = f"{record.form_id}-v{version.number}.pdf"  # for clients that read no UTF-8 file name
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(document_file_name(record, version), fallback),
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
