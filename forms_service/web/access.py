"""Access to records, shared by the API and the pages: scoped to the caller's agency, refusals logged."""

from __future__ import annotations

from flask import current_app

from ..catalog import NewAuditEvent
from ..catalog.models import Record
from ..errors import NotFound
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
