"""Access to records, shared by the API and the pages: scoped to the caller's agency, every
retrieval and refusal in the audit log."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from flask import Response

from ..access import Actor
from ..catalog import Record, Version
from ..errors import UnknownForm
from ..forms import get_form
from ..taiwan import TAIPEI, roc_year
from .auth import reader_of
from .context import components
from .preview import render_page


def visible_record(actor: Actor, record_id: str) -> Record:
    """The record if ``actor`` may see it; the same ``NotFound`` whether it does not exist or is
    another agency's (the attempt logged)."""
    return components().reading.visible(reader_of(actor), record_id)


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
    data = components().reading.pdf(reader_of(actor), record, version, detail=detail)
    fallback = f"{record.form_id}-v{version.number}.pdf"  # for clients that read no UTF-8 file name
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": attachment(document_file_name(record, version), fallback),
        "X-Content-SHA256": version.sha256,
        "ETag": f'"{version.sha256}"',
        "Cache-Control": "private, no-store",
    })


def page_preview(actor: Actor, record: Record, version: Version, page: int, detail: dict[str, Any]) -> Response:
    """One page of a version as a small PNG (for the record page); audited like a download."""
    read = components().reading.pdf_later(reader_of(actor), record, version, action="record.preview",
                                          detail={"page": page, **detail})
    image = render_page(version.sha256, page, read)
    return Response(image, mimetype="image/png", headers={"Cache-Control": "private, no-store"})
