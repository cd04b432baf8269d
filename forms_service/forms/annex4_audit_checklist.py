"""附件4 （資料使用單位）使用商工資料資通安全查核紀錄表 (``annex4-audit-checklist``).

Used for the agency's yearly self-review (規範 六(一)2(4), 六(四)1) and for the provider's audit (七):
the audited unit fills in its own answer (``self_result``, 七(四)2: 稽核日5工作日前先行填覆, with 填表人
and 填覆日期) and the audit team its finding (``result``).  Every standard item must be answered
exactly once; each item prints the clause of the regulation it checks, and the few that check an
agency's own rules rather than the regulation say so (「機關自訂」).  A 不符合 needs a note and a
finding that names the item.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ..errors import FieldProblem
from ..messages import problem
from ..taiwan import format_roc_long, format_roc_short
from .annex1_application import checkbox
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OptionalText, Period, Person, RecordRef, RocDate, Text, labels

STANDARD_ITEMS: dict[int, str] = {
    1: "使用範圍與核准之法源依據、用途相符",
    2: "使用者清冊與核准名單一致，異動已申請",
    3: "離職／調職帳號已停用",
    4: "帳號專人專用，密碼符合規定",
    5: "僅核准IP可連線",
    6: "採VPN傳輸",
    7: "採TLS加密",
    8: "系統已顯示告示文字",
    9: "每月查核查詢紀錄並留存查核結果",
    10: "查詢紀錄與檢視結果保存滿1年",
    11: "無目的外利用或提供第三人",
    12: "列印及複製資料妥善保管、銷毀",
    13: "委外廠商受約定書拘束",
    14: "年度檢視已辦理",
    15: "終止案件於1個月內刪除",
    16: "資安事件依規定通報",
    17: "定期弱點掃描或滲透測試並修補留存紀錄",
    # What the regulation implies and the first list lacked.
    18: "已簽署商工資料使用安全約定書，且使用期限未屆滿",
    19: "已訂定並核定使用商工資料作業要求（附件3）",
    20: "自行查核範圍涵蓋所有使用單位及使用者",
    21: "已指派查核人員每月查核調用查詢紀錄，確認所調案件為業務所需，並同時查核資通安全保護作業",
    22: "查核結果有缺漏者，已請查調者說明",
    23: "已無使用需求者，已函文向資料提供機關申請終止連線",
    24: "授權其他單位使用商工資料者，已依業務權責申請商工系統使用權限",
}
# 查核項目 (the area) of each standard item, printed beside its 查核內容.
CATEGORIES: dict[int, str] = {
    1: "使用範圍", 2: "使用者管理", 3: "帳號管理", 4: "帳號管理", 5: "連線管理", 6: "傳輸安全", 7: "傳輸安全",
    8: "系統告示", 9: "查詢紀錄", 10: "查詢紀錄", 11: "資料利用", 12: "資料保管", 13: "委外管理",
    14: "年度檢視", 15: "終止刪除", 16: "事件通報", 17: "弱點管理", 18: "約定書", 19: "作業要求",
    20: "自行查核", 21: "每月查核", 22: "查調說明", 23: "終止申請", 24: "授權使用",
}
# The clause of 「使用商工資料資通安全管理規範」 each item checks.  「機關自訂」: the regulation leaves
# the matter to the agency's own rules (六(二)、六(三) refer to them), so the item checks those.
SOURCES: dict[int, str] = {
    1: "六(一)2(1)", 2: "六(一)2(1)", 3: "六(三)機關自訂", 4: "六(三)機關自訂", 5: "六(一)2(3)", 6: "六(一)2(3)",
    7: "六(一)2(3)", 8: "六(五)（建議）", 9: "六(四)2(1)", 10: "六(四)2(1)", 11: "六(六)", 12: "六(六)",
    13: "機關自訂", 14: "六(一)2(4)", 15: "六(一)2(4)", 16: "六(六)4", 17: "六(一)2(5)", 18: "六(一)2(1)",
    19: "六(一)2(2)", 20: "六(四)1", 21: "六(四)2(1)", 22: "六(四)2(2)", 23: "六(一)2(4)", 24: "六(一)3",
}
RESULTS = {"conform": "符合", "nonconform": "不符合", "na": "不適用"}


Result = Literal["conform", "nonconform", "na"]


class Item(FormModel):
    id: int = Field(description=f"項次（1–{len(STANDARD_ITEMS)}）",
                    json_schema_extra=labels({i: f"{i}. {text}" for i, text in STANDARD_ITEMS.items()}))
    self_result: Result | None = Field(None, description="受查單位自評結果（稽核前填覆）",
                                       json_schema_extra=labels(RESULTS))
    result: Result = Field(description="查核結果（查核人員或稽核小組）", json_schema_extra=labels(RESULTS))
    note: OptionalText = Field("", description="說明／佐證（不符合時必填）")


class Finding(FormModel):
    item: int | None = Field(None, description="對應之查核項次（不符合項目必填）",
                             json_schema_extra=labels({i: f"{i}. {text}" for i, text in STANDARD_ITEMS.items()}))
    issue: Text = Field(description="缺失事項")
    action: Text = Field(description="改善措施")
    due: RocDate = Field(description="改善期限")


# Whose check this record is: the agency's own yearly review (六(一)2(4) 每年應自行檢視, 六(四)1
# 機關內部應自行查核), or the Ministry's audit (七 稽核).  Only the agency's own clears its yearly duty.
KINDS = {"self_review": "機關自行檢視（規範六(一)2(4)、六(四)1）", "audit": "資料提供機關稽核（規範七）"}


class Annex4AuditChecklist(FormModel):
    kind: Literal["self_review", "audit"] = Field("self_review", description="查核類別",
                                                  json_schema_extra=labels(KINDS))
    user_unit: Agency = Field(description="受查之資料使用單位")
    audit_date: RocDate = Field(description="查核日期")
    period: Period = Field(description="查核期間")
    auditors: list[Person] = Field(min_length=1, max_length=20, description="查核人員")
    escorts: list[Person] = Field(default_factory=list, max_length=20, description="受查單位陪同人員")
    filled_by: Person | None = Field(None, description="受查單位填表人")
    filled_on: RocDate | None = Field(None, description="受查單位填覆日期（稽核日前）")
    related_record: RecordRef | None = Field(None, description="同一介接案之附件1紀錄編號")
    items: list[Item] = Field(description=f"查核項目（{len(STANDARD_ITEMS)} 項，每項一次）")
    findings: list[Finding] = Field(default_factory=list, max_length=100, description="缺失及改善")


def item_rules(form: Annex4AuditChecklist) -> list[FieldProblem]:
    """Each standard item answered once; a 不符合 with its note and its finding."""
    problems = []
    seen: dict[int, int] = {}
    last = len(STANDARD_ITEMS)
    for index, item in enumerate(form.items):
        if item.id not in STANDARD_ITEMS:
            problems.append(problem(f"items[{index}].id", "invalid", worded_as="no_such_item", item=item.id, last=last))
        elif item.id in seen:
            problems.append(problem(f"items[{index}].id", "invalid", worded_as="item_twice", item=item.id))
        else:
            seen[item.id] = index
        if item.result == "nonconform" and not item.note.strip():
            problems.append(problem(f"items[{index}].note", "invalid", worded_as="nonconform_needs_note"))
    missing = sorted(set(STANDARD_ITEMS) - set(seen))
    if missing:
        problems.append(problem("items", "missing_items", items="、".join(map(str, missing))))
    with_findings = {f.item for f in form.findings}
    for index, item in enumerate(form.items):
        if item.result == "nonconform" and item.id not in with_findings:
            problems.append(problem(f"items[{index}].result", "finding_required", item=item.id))
    return problems


def finding_rules(form: Annex4AuditChecklist) -> list[FieldProblem]:
    """A finding names a standard item and is due no earlier than the audit."""
    problems = []
    for index, finding in enumerate(form.findings):
        if finding.item is not None and finding.item not in STANDARD_ITEMS:
            problems.append(problem(f"findings[{index}].item", "invalid", worded_as="no_such_item", item=finding.item,
                                    last=len(STANDARD_ITEMS)))
        if finding.due < form.audit_date:
            problems.append(problem(f"findings[{index}].due", "due_before_audit"))
    return problems


def date_rules(form: Annex4AuditChecklist) -> list[FieldProblem]:
    """The audit within its period, the form filled by the audit day."""
    problems = []
    if form.audit_date < form.period.start:
        problems.append(problem("audit_date", "audit_before_period"))
    if form.filled_on is not None and form.filled_on > form.audit_date:
        problems.append(problem("filled_on", "filled_after_audit"))
    return problems


def _boxes(result: str) -> dict[str, str]:
    return {key: ("☑" if key == result else "☐") for key in RESULTS}


def _self_answer(result: str | None) -> str:
    return RESULTS[result] if result else "未填"


def _people(people: list[Person]) -> str:
    return "、".join(p.name + (f"（{p.title}）" if p.title else "") for p in people)


def context(form: Annex4AuditChecklist, options: RenderOptions) -> dict[str, Any]:
    by_id = {item.id: item for item in form.items}
    return {
        "provider_name": options.provider_name,
        "title": f"{form.user_unit.name}使用商工資料資通安全查核紀錄表",
        "kinds": [{"box": checkbox(form.kind == key), "label": label} for key, label in
                  (("self_review", "機關自行檢視"), ("audit", f"{options.provider_name}稽核"))],
        "user_unit": form.user_unit.model_dump(),
        "audit_date": format_roc_long(form.audit_date),
        "period_start": format_roc_long(form.period.start),
        "period_end": format_roc_long(form.period.end),
        "auditors": _people(form.auditors),
        "escorts": _people(form.escorts) or "無",
        "items": [
            {"no": i, "category": CATEGORIES[i], "text": text, "source": SOURCES[i], "box": _boxes(by_id[i].result),
             "self": _self_answer(by_id[i].self_result), "note": by_id[i].note}
            for i, text in STANDARD_ITEMS.items()
        ],
        "findings": [
            {"no": n, "item": f.item or "", "issue": f.issue, "action": f.action, "due": format_roc_short(f.due)}
            for n, f in enumerate(form.findings, 1)
        ],
        "has_findings": bool(form.findings),
        "filled_by": _people([form.filled_by]) if form.filled_by else "",
        "filled_on": format_roc_long(form.filled_on) if form.filled_on else "",
        "related_record": form.related_record or "",
    }


def _retain_from(form: Annex4AuditChecklist) -> date:
    return form.audit_date


SPEC = FormSpec(
    form_id="annex4-audit-checklist", annex="附件4", title="使用商工資料資通安全查核紀錄表",
    model=Annex4AuditChecklist, template="annex4-audit-checklist.docx", context=context,
    owner_field="user_unit", retain_from=_retain_from, rules=(item_rules, finding_rules, date_rules),
    retention_class="log",
)
