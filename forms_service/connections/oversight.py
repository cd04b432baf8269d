"""The provider's oversight as one service the API and the pages call alike: an audit's
checklist (the agency's answers and evidence files, the team's results and findings, the signed
final 附件4, replies and closing), a connection stopped by the provider's letter, incident reports
acknowledged.  (An incident report's sending to the provider is an after-effect of its filing:
``filing/after.py``.)

What is sent arrives as the fields a form or a JSON body holds (``fields``); each step says what
may happen in ``audit_work``, ``evidence_files``, ``termination`` and ``incidents``.  Filing a
document as the provider — the team's 附件4, the stop of a connection — is handed in
(``file_by_provider``): filing sits above this concern.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from storage import ObjectStore

from ..access import Actor
from ..catalog import NewAuditEvent, WorkCatalog
from ..clock import Clock
from ..errors import InputError, NotFound
from . import audit_work, evidence_files, incidents, termination
from .incidents import IncidentCatalog
from .parties import tell_of_termination
from .timeline import connection, today_in_taipei
from .values import Incident, Inspection, InspectionFinding, InspectionItem

# (actor, form id, the form's data, why the provider files it, from where) → the record's id
FileByProvider = Callable[[Actor, str, dict[str, Any], str, str], str]
Notify = Callable[[str | None, str, str], None]
# What a whole number is called where it is asked for, in the sentence of its error.
_NUMBER_NAMES = {"item": "查核項次", "number": "發現事項編號"}


class OversightCatalog(audit_work.AuditWorkCatalog, IncidentCatalog, WorkCatalog, Protocol):
    """What the provider's oversight reads and writes."""


@dataclass(frozen=True)
class ProviderOversight:
    catalog: OversightCatalog
    store: ObjectStore
    file_by_provider: FileByProvider
    notify: Notify
    provider_name: str
    lock_mode: str
    evidence_retention_years: int
    clock: Clock

    def today(self) -> date:
        return today_in_taipei(self.clock.now())

    def inspection_of(self, actor: Actor, inspection_id: str) -> Inspection:
        """The audit, if ``actor`` may see it (his agency's, or any for the provider)."""
        return audit_work.get_inspection(self.catalog, inspection_id, agency=actor.scope)

    def read_inspection(self, actor: Actor, inspection_id: str, *, source_ip: str = "", via: str = "") -> Inspection:
        """The audit, as ``inspection_of`` finds it; the reading is audited."""
        found = self.inspection_of(actor, inspection_id)
        self.catalog.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="inspection.read",
                                         source_ip=source_ip,
                                         detail={"inspection": inspection_id, **({"via": via} if via else {})}))
        return found

    # --- the agency's column ----------------------------------------------------------------------

    def answer(self, actor: Actor, inspection: Inspection, item: Any, fields: Mapping[str, Any]) -> InspectionItem:
        evidence = fields.get("evidence") or []
        if isinstance(evidence, str):
            evidence = [evidence]
        if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
            raise InputError("佐證請列出紀錄編號", details={"field": "evidence"})
        return audit_work.answer_item(self.catalog, actor, inspection, item=_whole(item, "item"),
                                      self_result=str(fields.get("self_result", "")),
                                      note=str(fields.get("note", "")), evidence=evidence, today=self.today(),
                                      now=self.clock.now(), audit=self.catalog.audit)

    def upload(self, actor: Actor, inspection: Inspection, item: Any, *, filename: str, content_type: str,
               data: bytes) -> InspectionItem:
        """A file the agency hands in as an item's evidence: archived under retention, then cited."""
        return evidence_files.upload(self.catalog, self.store, actor, inspection, item=_whole(item, "item"),
                                     filename=filename, content_type=content_type, data=data,
                                     lock_mode=self.lock_mode, retention_years=self.evidence_retention_years,
                                     today=self.today(), now=self.clock.now(), audit=self.catalog.audit)

    def evidence_file(self, actor: Actor, inspection: Inspection, sha256: str, *,
                      source_ip: str) -> tuple[bytes, str, str]:
        """A file cited as evidence: its bytes, its name and its type (the read audited)."""
        return evidence_files.read(self.catalog, self.store, actor, inspection, sha256, source_ip=source_ip,
                                   audit=self.catalog.audit)

    def send_answers(self, actor: Actor, inspection: Inspection, fields: Mapping[str, Any]) -> Inspection:
        return audit_work.send_answers(self.catalog, actor, inspection, filled_by=str(fields.get("filled_by", "")),
                                       filled_title=str(fields.get("filled_title", "")), today=self.today(),
                                       now=self.clock.now(), audit=self.catalog.audit)

    def reply(self, actor: Actor, inspection: Inspection, number: Any, fields: Mapping[str, Any]) -> InspectionFinding:
        return audit_work.reply_finding(self.catalog, actor, inspection, number=_whole(number, "number"),
                                        reply=str(fields.get("reply", "")), now=self.clock.now(),
                                        audit=self.catalog.audit)

    # --- the team's column ------------------------------------------------------------------------

    def judge(self, actor: Actor, inspection: Inspection, item: Any, fields: Mapping[str, Any]) -> InspectionItem:
        return audit_work.judge_item(self.catalog, actor, inspection, item=_whole(item, "item"),
                                     result=str(fields.get("result", "")), note=str(fields.get("note", "")),
                                     today=self.today(), now=self.clock.now(), audit=self.catalog.audit)

    def add_finding(self, actor: Actor, inspection: Inspection, fields: Mapping[str, Any]) -> InspectionFinding:
        return audit_work.add_finding(self.catalog, actor, inspection, item=str(fields.get("item", "") or ""),
                                      issue=str(fields.get("issue", "")), action=str(fields.get("action", "")),
                                      due_on=str(fields.get("due", "")), today=self.today(), now=self.clock.now(),
                                      audit=self.catalog.audit)

    def close(self, actor: Actor, inspection: Inspection, number: Any) -> InspectionFinding:
        return audit_work.close_finding(self.catalog, actor, inspection, number=_whole(number, "number"),
                                        now=self.clock.now(), audit=self.catalog.audit)

    def finish(self, actor: Actor, inspection: Inspection, *, source_ip: str) -> Inspection:
        """The final 附件4, signed by the team (the provider's key), archived; the audit then names it."""
        found = connection(self.catalog, inspection.connection_id) if inspection.connection_id else None
        related = found.current_application if found is not None and found.terminated_on is None else None
        # The unit's 全銜 as its connection's forms spell it (they must agree), else its profile's.
        parties = [found.user_unit, found.applicant] if found is not None else []
        unit_name = next((p["name"] for p in parties if p.get("code") == inspection.agency and p.get("name")), "")
        if not unit_name:
            profile = self.catalog.agency_profile(inspection.agency)
            unit_name = (profile.data.get("name", "") if profile else "") or inspection.agency

        def file_checklist(data: dict[str, Any]) -> str:
            return self.file_by_provider(actor, "annex4-audit-checklist", data, "稽核小組查核", source_ip)

        return audit_work.finish(self.catalog, actor, inspection, unit_name=unit_name, related_record=related,
                                 file_checklist=file_checklist, today=self.today(), now=self.clock.now(),
                                 audit=self.catalog.audit)

    # --- connections and incidents ----------------------------------------------------------------

    def stop_connection(self, actor: Actor, connection_id: str, fields: Mapping[str, Any], *, source_ip: str) -> str:
        """The provider ends a connection by its letter: the 終止 附件1 filed and signed; its record id."""
        found = connection(self.catalog, connection_id)
        if found is None:
            raise NotFound(f"no connection {connection_id}")
        current = self.catalog.get_record(found.current_application)
        data = termination.stop_input(
            actor, found, dict(current.input or {}) if current else {}, letter=str(fields.get("letter", "")),
            letter_date=str(fields.get("letter_date", "")), effective_on=str(fields.get("effective_on", "")),
            reason=str(fields.get("reason", "")), today=self.today(),
            backdate=str(fields.get("backdate", "")).lower() in ("1", "true", "on", "yes"))
        record_id = self.file_by_provider(actor, current.form_id if current else "annex1-interface", data,
                                          "終止連線", source_ip)
        self.catalog.audit(NewAuditEvent(
            actor=actor.id, agency=found.applicant.get("code", ""), action="connection.stop", record_id=record_id,
            source_ip=source_ip, detail={"connection": connection_id,
                                         "effective_on": data["termination"]["effective_on"],
                                         "letter": data["request_letter"]["number"]}))
        # the agencies hear of it at once (their pages show it too)
        tell_of_termination(found, effective_on=data["termination"]["effective_on"],
                            letter=data["request_letter"]["number"], by_provider=True,
                            provider_name=self.provider_name, notify=self.notify)
        return record_id

    def acknowledge(self, actor: Actor, record_id: str) -> Incident:
        return incidents.acknowledge(self.catalog, actor, record_id, now=self.clock.now())


def _whole(value: Any, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InputError(f"{_NUMBER_NAMES.get(field, field)}須為整數", details={"field": field}) from None
