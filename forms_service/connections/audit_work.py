"""An audit's checklist, worked through by both sides (規範 七(三)–(五)):

1. the checklist is prepared from the audited agency's 附件3 (七(三)): each standard 附件4 item with
   what that agency's requirements say about it (its 帳號閒置 days, its 查核人員, its approval, …);
2. the agency answers its column (自評) item by item, attaching evidence — archived records of its
   own (the year's 附件5 registers, its last vulnerability scan, …) — and sends the answers before
   the deadline, 5 working days before the audit (七(四)2) — the regulation sets a due date, not a
   bar: later answers are taken and the audit shows them as late;
3. the team records its result per item from the audit day on, and its findings, each with a
   deadline; finishing files the final 附件4 (signed by the team's key) and ties it to the audit;
4. the agency replies to each finding (函復), and the team closes it.

Every step is in the audit log.  What to sign and store is the caller's (``file_checklist``): this
module decides what may happen and what the 附件4 says.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from ..access import Actor, Role
from ..access.policy import Action, require
from ..catalog import NewAuditEvent, RecordCatalog, RecordFilter
from ..errors import Forbidden, InputError, NotFound
from ..forms.annex4_audit_checklist import CATEGORIES, RESULTS, SOURCES, STANDARD_ITEMS
from ..forms.security_test import KINDS
from ..taiwan import TAIPEI, InvalidValue, add_months, format_roc_short, parse_date
from .timeline import connections
from .values import Inspection, InspectionFinding, InspectionItem, Oversight

Audit = Callable[[NewAuditEvent], None]
FILE_PREFIX = "file:"  # an uploaded file in an item's evidence (``evidence_files``): file:<sha256>:<name>


@dataclass(frozen=True)
class EvidenceFile:
    sha256: str
    name: str


def file_entry(sha256: str, name: str) -> str:
    return f"{FILE_PREFIX}{sha256}:{name}"


def evidence_file(entry: str) -> EvidenceFile | None:
    """The uploaded file an evidence entry names, None for a record id."""
    if not entry.startswith(FILE_PREFIX):
        return None
    sha256, _, name = entry[len(FILE_PREFIX):].partition(":")
    return EvidenceFile(sha256, name)


class AuditWorkCatalog(Oversight, RecordCatalog, Protocol):
    """What the checklist work reads and writes."""


@dataclass(frozen=True)
class ChecklistLine:
    """One item as the pages show it: the standard text, what the agency's 附件3 says, the work so far."""

    no: int
    category: str
    text: str
    source: str
    basis: str  # from the agency's 附件3 ("" when it says nothing particular)
    work: InspectionItem

    @property
    def records(self) -> list[str]:
        """The archived records cited as evidence."""
        return [e for e in self.work.evidence if evidence_file(e) is None]

    @property
    def files(self) -> list[EvidenceFile]:
        """The uploaded files cited as evidence."""
        return [f for f in map(evidence_file, self.work.evidence) if f is not None]


def get_inspection(catalog: AuditWorkCatalog, inspection_id: str, *, agency: str | None) -> Inspection:
    """The audit, or ``NotFound`` (also for an audit of another agency than ``agency``)."""
    found = catalog.inspection(inspection_id)
    if found is None or (agency is not None and found.agency != agency):
        raise NotFound(f"no audit {inspection_id}")
    return found


def requirements_of(catalog: RecordCatalog, inspection: Inspection) -> dict[str, Any] | None:
    """The newest 附件3 of the audited agency's connections (its input), or None when none is on file.
    Read through the connections the agency is a party of — an indexed lookup, right at any archive
    size — never by scanning the newest records of every agency."""
    found = [m for c in connections(catalog, agency=inspection.agency) for m in c.of_kind("requirements")]
    for member in sorted(found, key=lambda m: m.created_at, reverse=True):
        record = catalog.get_record(member.record_id)
        if record is not None:
            return dict(record.input or {})
    return None


def checklist(catalog: AuditWorkCatalog, inspection: Inspection) -> tuple[list[ChecklistLine], bool]:
    """The prepared checklist and whether an 附件3 was found to prepare it from."""
    requirements = requirements_of(catalog, inspection)
    saved = {i.item: i for i in catalog.inspection_items(inspection.id)}
    lines = [ChecklistLine(no, CATEGORIES[no], text, SOURCES[no],
                           _last_security_test(catalog, inspection.agency) if no == SECURITY_TEST_ITEM
                           else _basis(no, requirements),
                           saved.get(no, InspectionItem(inspection.id, no)))
             for no, text in STANDARD_ITEMS.items()]
    return lines, requirements is not None


SECURITY_TEST_ITEM = 17  # 「定期弱點掃描或滲透測試並修補留存紀錄」 (六(一)2(5))


def _last_security_test(catalog: RecordCatalog, agency: str) -> str:
    """The agency's newest 安全檢測紀錄, for item 17: what it may cite as evidence."""
    found = catalog.find_records(RecordFilter(agency=agency, form_id="security-test", limit=1))
    if not found:
        return "本單位尚無安全檢測紀錄在案"
    data = found[0].input or {}
    findings = data.get("findings") or []
    open_items = sum(1 for f in findings if not f.get("fixed_on"))
    return (f"最近之安全檢測紀錄：{_roc(data.get('tested_on'))}"
            f"（{KINDS.get(data.get('kind', ''), '安全檢測')}），發現 {len(findings)} 項"
            + (f"，{open_items} 項待修補" if open_items else "") + f"；紀錄編號 {found[0].id}")


def _basis(no: int, requirements: dict[str, Any] | None) -> str:
    """What the agency's own 附件3 requires on item ``no`` (七(三): the audit checks it)."""
    if requirements is None:
        return ""
    roles = requirements.get("roles") or {}
    approval = requirements.get("approval") or {}
    if no == 1:
        return f"附件3：法源依據「{requirements.get('legal_basis', '')}」，用途「{requirements.get('purpose', '')}」"
    if no == 3:
        return f"附件3：帳號閒置 {requirements.get('account_idle_days', 90)} 日即停用"
    if no in (9, 21):
        return (f"附件3：查核人員 {(roles.get('auditor') or {}).get('name', '')}，"
                f"管理人員 {(roles.get('manager') or {}).get('name', '')}")
    if no == 8:
        return f"附件3：{requirements.get('system_name', '')} 應顯示系統告示文字（六(五)）"
    if no == 19:
        if approval:
            return (f"附件3：由 {(approval.get('approver') or {}).get('name', '')} 於 "
                    f"{_roc(approval.get('approved_on'))} 核定")
        return "附件3：尚未核定"
    return ""


def _roc(value: Any) -> str:
    try:
        return format_roc_short(date.fromisoformat(str(value)))
    except ValueError:
        return str(value or "")


# --- the agency's column ---------------------------------------------------------------------------

def check_item(item: int) -> None:
    if item not in STANDARD_ITEMS:
        raise InputError(f"沒有第 {item} 項查核項目 (no standard item {item})", details={"field": "items"})


def is_audited_staff(actor: Actor, inspection: Inspection) -> bool:
    return actor.role is Role.ADMIN or (actor.role is Role.STAFF and actor.agency == inspection.agency)


def check_agency_side(actor: Actor, inspection: Inspection, today: date) -> None:
    if not is_audited_staff(actor, inspection):
        raise Forbidden("受查機關的承辦人填寫查核紀錄表的自評欄（規範七(四)2）")
    if inspection.finished_at is not None:
        raise InputError("本次稽核已完成，自評欄不得再修改 (the audit is finished)", details={"field": "items"})
    if today >= inspection.audit_on:  # the team is judging the items: late answers are taken until then
        raise InputError(f"稽核已於 {format_roc_short(inspection.audit_on)} 開始，自評欄不再修改；"
                         "如有補充，請洽稽核小組", details={"field": "items"})


def answer_item(catalog: AuditWorkCatalog, actor: Actor, inspection: Inspection, *, item: int, self_result: str,
                note: str, evidence: list[str], today: date, now: datetime, audit: Audit) -> InspectionItem:
    """The agency's answer to one item, with references to its archived records as evidence."""
    check_agency_side(actor, inspection, today)
    field = f"item-{item}"
    check_item(item)
    if self_result not in RESULTS:
        raise InputError(f"第 {item} 項：請選擇符合、不符合或不適用", details={"field": f"{field}-result"})
    note = note.strip()
    if self_result == "nonconform" and not note:
        raise InputError(f"第 {item} 項自評不符合：請說明現況及改善規劃", details={"field": f"{field}-note"})
    if len(note) > 2000:
        raise InputError(f"第 {item} 項：說明至多 2000 字", details={"field": f"{field}-note"})
    references = _evidence(catalog, inspection, evidence, field=f"{field}-evidence")
    before = saved_item(catalog, inspection, item)
    files = tuple(e for e in before.evidence if evidence_file(e))  # uploaded files stay cited
    saved = catalog.save_inspection_item(dataclasses.replace(
        before, self_result=self_result, self_note=note, evidence=files + references, answered_by=actor.id,
        answered_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.answer",
                        detail={"inspection": inspection.id, "item": item, "self_result": self_result,
                                "evidence": list(references)}))
    return saved


def _evidence(catalog: AuditWorkCatalog, inspection: Inspection, given: list[str], *, field: str) -> tuple[str, ...]:
    """Record ids the agency may refer to, each checked; a wrong one is refused by name."""
    ids: list[str] = []
    for value in given:
        for record_id in re.split(r"[\s,，、]+", value.strip()):
            if record_id and record_id not in ids and not record_id.startswith(FILE_PREFIX):
                ids.append(record_id)
    if len(ids) > 20:
        raise InputError("每項至多 20 筆佐證紀錄", details={"field": field})
    for record_id in ids:
        record = catalog.get_record(record_id)
        parties = {record.agency_code, ((record.input or {}).get("user_unit") or {}).get("code")} if record else set()
        if inspection.agency not in parties:
            raise InputError(f"佐證紀錄 {record_id} 不存在或非受稽核機關之紀錄 (no record {record_id} of "
                             f"{inspection.agency})", details={"field": field})
    return tuple(ids)


def saved_item(catalog: AuditWorkCatalog, inspection: Inspection, item: int) -> InspectionItem:
    return next((i for i in catalog.inspection_items(inspection.id) if i.item == item),
                InspectionItem(inspection.id, item))


def send_answers(catalog: AuditWorkCatalog, actor: Actor, inspection: Inspection, *, filled_by: str,
                 filled_title: str, today: date, now: datetime, audit: Audit) -> Inspection:
    """The agency sends its column (七(四)2): every item answered, the 填表人 named — by the due date,
    or later, and then shown as late."""
    check_agency_side(actor, inspection, today)
    answered = {i.item for i in catalog.inspection_items(inspection.id) if i.self_result}
    missing = [n for n in STANDARD_ITEMS if n not in answered]
    if missing:
        raise InputError(f"尚有 {len(missing)} 項未自評：第 {'、'.join(map(str, missing))} 項",
                         details={"field": f"item-{missing[0]}-result"})
    filled_by = " ".join(filled_by.split())
    if not filled_by:
        raise InputError("請填寫填表人姓名", details={"field": "filled_by"})
    sent = catalog.update_inspection(dataclasses.replace(
        inspection, answered_at=now, answered_by=actor.id, filled_by=filled_by[:200],
        filled_title=" ".join(filled_title.split())[:200]))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.answers-sent",
                        detail={"inspection": inspection.id, "filled_by": filled_by}))
    return sent


# --- the team's column -----------------------------------------------------------------------------

def _check_team(actor: Actor, inspection: Inspection, today: date) -> None:
    require(actor, Action.SCHEDULE_AUDITS, "查核結果及缺失由資料提供機關的稽核小組登錄（規範七）")
    if inspection.finished_at is not None:
        raise InputError("本次稽核已完成 (the audit is finished)", details={"field": "items"})
    if today < inspection.audit_on:
        raise InputError(f"查核結果於稽核日 {format_roc_short(inspection.audit_on)} 起登錄 "
                         "(results are recorded from the audit day on)", details={"field": "items"})


def judge_item(catalog: AuditWorkCatalog, actor: Actor, inspection: Inspection, *, item: int, result: str, note: str,
               today: date, now: datetime, audit: Audit) -> InspectionItem:
    _check_team(actor, inspection, today)
    check_item(item)
    if result not in RESULTS:
        raise InputError(f"第 {item} 項：請選擇查核結果", details={"field": f"item-{item}-verdict"})
    note = note.strip()
    if result == "nonconform" and not note:
        raise InputError(f"第 {item} 項不符合：請說明", details={"field": f"item-{item}-verdict-note"})
    saved = catalog.save_inspection_item(dataclasses.replace(
        saved_item(catalog, inspection, item), result=result, result_note=note[:2000], judged_by=actor.id,
        judged_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.judge",
                        detail={"inspection": inspection.id, "item": item, "result": result}))
    return saved


def add_finding(catalog: AuditWorkCatalog, actor: Actor, inspection: Inspection, *, item: str, issue: str,
                action: str, due_on: str, today: date, now: datetime, audit: Audit) -> InspectionFinding:
    _check_team(actor, inspection, today)
    number_of_item: int | None = None
    if item.strip():
        if not item.strip().isdigit() or int(item) not in STANDARD_ITEMS:
            raise InputError(f"沒有第 {item} 項查核項目", details={"field": "finding-item"})
        number_of_item = int(item)
    issue, action = issue.strip(), action.strip()
    if not issue:
        raise InputError("請填寫缺失事項", details={"field": "finding-issue"})
    if not action:
        raise InputError("請填寫改善措施", details={"field": "finding-action"})
    try:
        due = parse_date(due_on)
    except InvalidValue as err:
        raise InputError(f"改善期限：{err}", details={"field": "finding-due"}) from None
    if due < inspection.audit_on:
        raise InputError("改善期限不得早於稽核日", details={"field": "finding-due"})
    if due > add_months(inspection.audit_on, 24):
        raise InputError("改善期限至多為稽核日後兩年", details={"field": "finding-due"})
    number = len(catalog.inspection_findings(inspection_id=inspection.id)) + 1
    finding = catalog.save_inspection_finding(InspectionFinding(
        inspection.id, number, inspection.agency, number_of_item, issue[:2000], action[:2000], due,
        created_by=actor.id, created_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.finding",
                        detail={"inspection": inspection.id, "number": number, "item": number_of_item,
                                "due_on": due.isoformat()}))
    return finding


def checklist_input(catalog: AuditWorkCatalog, inspection: Inspection, *, unit_name: str,
                    related_record: str | None) -> dict[str, Any]:
    """The final 附件4 as the form's JSON: both columns, the findings, the team and the 填表人."""
    items = {i.item: i for i in catalog.inspection_items(inspection.id)}
    unjudged = [n for n in STANDARD_ITEMS if not (items.get(n) and items[n].result)]
    if unjudged:
        raise InputError(f"尚有 {len(unjudged)} 項未登錄查核結果：第 {'、'.join(map(str, unjudged))} 項",
                         details={"field": f"item-{unjudged[0]}-verdict"})
    auditors = [{"name": name} for name in re.split(r"[、,，;；]+", inspection.team) if name.strip()]
    data: dict[str, Any] = {
        "kind": "audit",  # the provider's audit (七): it does not stand for the agency's own yearly review
        "user_unit": {"name": unit_name, "code": inspection.agency},
        "audit_date": inspection.audit_on.isoformat(),
        "period": {"start": add_months(inspection.audit_on, -12).isoformat(), "end": inspection.audit_on.isoformat()},
        "auditors": auditors[:20],
        "items": [{"id": n, "self_result": items[n].self_result or None, "result": items[n].result,
                   "note": _note(items[n])} for n in STANDARD_ITEMS],
        "findings": [{"item": f.item, "issue": f.issue, "action": f.action, "due": f.due_on.isoformat()}
                     for f in catalog.inspection_findings(inspection_id=inspection.id)],
    }
    if inspection.filled_by:
        data["filled_by"] = {"name": inspection.filled_by, "title": inspection.filled_title}
        if inspection.answered_at is not None:
            data["filled_on"] = inspection.answered_at.astimezone(TAIPEI).date().isoformat()
    if related_record:
        data["related_record"] = related_record
    return data


def _note(item: InspectionItem) -> str:
    cited = [_cited(e) for e in item.evidence]
    parts = [item.result_note, f"自評：{item.self_note}" if item.self_note else "",
             f"佐證：{'、'.join(cited)}" if cited else ""]
    return "\n".join(p for p in parts if p)[:4000]


def _cited(evidence: str) -> str:
    """A record id as it is; an uploaded file as its name and the start of its SHA-256."""
    file = evidence_file(evidence)
    return evidence if file is None else f"檔案「{file.name}」（SHA-256 {file.sha256[:16]}…）"


def finish(catalog: AuditWorkCatalog, actor: Actor, inspection: Inspection, *, unit_name: str,
           related_record: str | None, file_checklist: Callable[[dict[str, Any]], str], today: date, now: datetime,
           audit: Audit) -> Inspection:
    """File the final 附件4 (``file_checklist`` validates, signs and archives it: its record id)."""
    _check_team(actor, inspection, today)
    record_id = file_checklist(checklist_input(catalog, inspection, unit_name=unit_name,
                                               related_record=related_record))
    done = catalog.update_inspection(dataclasses.replace(inspection, record_id=record_id, finished_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.finish", record_id=record_id,
                        detail={"inspection": inspection.id}))
    return done


# --- findings after the audit ----------------------------------------------------------------------

def _finding(catalog: AuditWorkCatalog, inspection: Inspection, number: int) -> InspectionFinding:
    found = next((f for f in catalog.inspection_findings(inspection_id=inspection.id) if f.number == number), None)
    if found is None:
        raise NotFound(f"no finding {number} of audit {inspection.id}")
    return found


def reply_finding(catalog: AuditWorkCatalog, actor: Actor, inspection: Inspection, *, number: int, reply: str,
                  now: datetime, audit: Audit) -> InspectionFinding:
    """The agency's reply (函復) to a finding: what it improved, with its letter's 文號 when it has one."""
    if not is_audited_staff(actor, inspection):
        raise Forbidden("缺失由受查機關的承辦人函復")
    finding = _finding(catalog, inspection, number)
    if finding.closed_at is not None:
        raise InputError(f"缺失 {number} 已結案", details={"field": f"finding-{number}-reply"})
    reply = reply.strip()
    if not reply:
        raise InputError("請填寫函復內容（改善情形）", details={"field": f"finding-{number}-reply"})
    saved = catalog.save_inspection_finding(dataclasses.replace(finding, reply=reply[:4000], replied_by=actor.id,
                                                                replied_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.finding-reply",
                        detail={"inspection": inspection.id, "number": number}))
    return saved


def close_finding(catalog: AuditWorkCatalog, actor: Actor, inspection: Inspection, *, number: int, now: datetime,
                  audit: Audit) -> InspectionFinding:
    require(actor, Action.SCHEDULE_AUDITS, "缺失由資料提供機關結案")
    finding = _finding(catalog, inspection, number)
    if not finding.reply:
        raise InputError(f"缺失 {number} 尚未函復，不得結案", details={"field": f"finding-{number}-close"})
    if finding.closed_at is not None:
        return finding
    saved = catalog.save_inspection_finding(dataclasses.replace(finding, closed_by=actor.id, closed_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.finding-close",
                        detail={"inspection": inspection.id, "number": number}))
    return saved
