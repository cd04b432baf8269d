"""Reading records: the one way the API, the pages and the CLI read them.

Every read is scoped to the reader's agency (the data provider and administrators read every
agency's) and written to the audit log with who read what, from where and why; a record the
reader may not see is answered exactly as one that does not exist, and the attempt is logged as a
refusal.  The edges say who is reading (``Reader``) and what to answer; they neither open the
archive nor write an audit entry for a read themselves (``tests/test_layering.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..access import Actor
from ..catalog import NewAuditEvent, Record, RecordCatalog, RecordFilter, Version
from ..errors import NotFound
from .archive import Archive
from .verification import RecordVerification, Verifier, pick_version


@dataclass(frozen=True)
class Reader:
    """Who reads: the actor, his address, the purpose he stated (``FORMS_REQUIRE_PURPOSE``) and what
    he asked for (method and path of a request), all kept with each audit entry."""

    actor: Actor
    source_ip: str = ""
    purpose: dict[str, str] = field(default_factory=dict)
    asked: dict[str, str] = field(default_factory=dict)


class RecordReading:
    def __init__(self, *, records: RecordCatalog, archive: Archive, verifier: Verifier,
                 audit: Callable[[NewAuditEvent], None]):
        self.records = records
        self.archive = archive
        self.verifier = verifier
        self.audit = audit

    def visible(self, reader: Reader, record_id: str) -> Record:
        """The record, if ``reader`` may see it; ``NotFound`` (the attempt logged) otherwise."""
        record = self.records.get_record(record_id, agency=reader.actor.scope)
        if record is None:
            self._refused(reader, "no such record in the caller's agency", action="record.read", record_id=record_id)
            raise NotFound(f"no record {record_id} that you may see", details={"record_id": record_id})
        return record

    def record(self, reader: Reader, record_id: str) -> Record:
        """The record, its reading logged (``record.read``)."""
        record = self.visible(reader, record_id)
        self._logged(reader, "record.read", record, detail=reader.purpose)
        return record

    def search(self, reader: Reader, query: RecordFilter, *, asked: dict[str, Any]) -> list[Record]:
        """The records of ``query`` within the reader's agency, the search logged; a search in
        another agency's records finds nothing and is logged as refused."""
        actor = reader.actor
        if not actor.sees_all_agencies and query.agency not in (None, actor.agency):
            self._refused(reader, "a search in another agency's records", action="record.search",
                          detail={"agency": query.agency})
            return []
        if not actor.sees_all_agencies:
            query = dataclasses.replace(query, agency=actor.agency)
        found = self.records.find_records(query)
        self._logged(reader, "record.search", None, detail={**asked, **reader.purpose})
        return found

    def version(self, reader: Reader, record_id: str, number: int | None) -> tuple[Record, Version]:
        """A visible record and its version ``number`` (the newest when None), or ``NotFound``."""
        record = self.visible(reader, record_id)
        return record, pick_version(record, number)

    def pdf(self, reader: Reader, record: Record, version: Version, *, action: str = "record.download",
            detail: dict[str, Any] | None = None) -> bytes:
        """A version's bytes, checked against the catalog's sha256; logged as ``action``."""
        data = self.archive.read(version, actor=reader.actor, source_ip=reader.source_ip)
        self._logged(reader, action, record, version=version.number,
                     detail={"sha256": version.sha256, **reader.purpose, **(detail or {})})
        return data

    def pdf_later(self, reader: Reader, record: Record, version: Version, *, action: str,
                  detail: dict[str, Any]) -> Callable[[], bytes]:
        """A read of the version's bytes for when they are needed (a page image kept in a cache
        may never need them); the use itself is logged at once."""
        self._logged(reader, action, record, version=version.number, detail={**reader.purpose, **detail})
        return lambda: self.archive.read(version, actor=reader.actor, source_ip=reader.source_ip)

    def verification(self, reader: Reader, record: Record, version: Version) -> RecordVerification:
        """Every signature of the version checked; logged as ``record.verify`` with the outcome."""
        pdf = self.archive.read(version, actor=reader.actor, source_ip=reader.source_ip)
        result = self.verifier.verify_version(record, version, pdf)
        self._logged(reader, "record.verify", record, version=result.version,
                     detail={"ok": result.ok, **reader.purpose})
        return result

    def _logged(self, reader: Reader, action: str, record: Record | None, *, version: int | None = None,
                detail: dict[str, Any]) -> None:
        actor = reader.actor
        self.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action=action,
                                 record_id=record.id if record is not None else "", version=version,
                                 source_ip=reader.source_ip, detail=detail))

    def _refused(self, reader: Reader, reason: str, *, action: str, record_id: str = "",
                 detail: dict[str, Any] | None = None) -> None:
        actor = reader.actor
        self.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action=action, outcome="refused",
                                 source_ip=reader.source_ip, record_id=record_id,
                                 detail={"reason": reason, **reader.asked, **(detail or {})}))
