"""附件4 （資料使用單位）使用商工資料資通安全查核紀錄表 (``annex4-audit-checklist``).

Every one of the 17 standard items must be answered exactly once; a 不符合 needs a 說明.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ..errors import FieldProblem
from ..taiwan import format_roc_long, format_roc_short
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OptionalText, Period, Person, RocDate, Text

STANDARD_ITEMS: dict[int, str] = {
    1: "使用範圍與核准之法源依據、用途相符",
    2: "使用者清冊與核准名單一致，異動已申請",
    3: "離職／調職帳號已停用",
    4: "帳號專人專用，密碼符合規定",
    5: "僅核准IP可連線",
    6: "採VPN傳輸",
    7: "採TLS加密",
    8: "系統已顯示告示文字",
    9: "每月檢視查詢紀錄並留存",
    10: "查詢紀錄與檢視結果保存滿1年",
    11: "無目的外利用或提供第三人",
    12: "列印及複製資料妥善保管、銷毀",
    13: "委外廠商受約定書拘束",
    14: "年度檢視已辦理",
    15: "終止案件於1個月內刪除",
    16: "資安事件依規定通報",
    17: "定期弱點掃描或滲透測試並修補留存紀錄",
}
# 查核項目 (the area) of each standard item, printed beside its 查核內容.
CATEGORIES: dict[int, str] = {
    1: "使用範圍", 2: "使用者管理", 3: "帳號管理", 4: "帳號管理", 5: "連線管理", 6: "傳輸安全", 7: "傳輸安全",
    8: "系統告示", 9: "查詢紀錄", 10: "查詢紀錄", 11: "資料利用", 12: "資料保管", 13: "委外管理",
    14: "年度檢視", 15: "終止刪除", 16: "事件通報", 17: "弱點管理",
}
RESULTS = {"conform": "符合", "nonconform": "不符合", "na": "不適用"}


class Item(FormModel):
    id: int = Field(description="項次（1–17）")
    result: Literal["conform", "nonconform", "na"] = Field(description="查核結果")
    note: OptionalText = Field("", description="說明／佐證（不符合時必填）")


class Finding(FormModel):
    issue: Text = Field(description="缺失事項")
    action: Text = Field(description="改善措施")
    due: RocDate = Field(description="改善期限")


class Annex4AuditChecklist(FormModel):
    user_unit: Agency = Field(description="受查之資料使用單位")
    audit_date: RocDate = Field(description="查核日期")
    period: Period = Field(description="查核期間")
    auditors: list[Person] = Field(min_length=1, max_length=20, description="查核人員")
    escorts: list[Person] = Field(default_factory=list, max_length=20, description="受查單位陪同人員")
    items: list[Item] = Field(description="查核項目（17 項，每項一次）")
    findings: list[Finding] = Field(default_factory=list, max_length=100, description="缺失及改善")


def cross_checks(form: Annex4AuditChecklist) -> list[FieldProblem]:
    problems = []
    seen: dict[int, int] = {}
    for index, item in enumerate(form.items):
        if item.id not in STANDARD_ITEMS:
            problems.append(FieldProblem(f"items[{index}].id", f"there is no standard item {item.id} (1–17)"))
        elif item.id in seen:
            problems.append(FieldProblem(f"items[{index}].id",
                                         f"item {item.id} is answered twice (also items[{seen[item.id]}])"))
        else:
            seen[item.id] = index
        if item.result == "nonconform" and not item.note.strip():
            problems.append(FieldProblem(f"items[{index}].note", "a 不符合 (nonconform) answer needs a note (說明)"))
    missing = sorted(set(STANDARD_ITEMS) - set(seen))
    if missing:
        problems.append(FieldProblem("items", f"standard items not answered: {', '.join(map(str, missing))}",
                                     "missing_items"))
    return problems


def _boxes(result: str) -> dict[str, str]:
    return {key: ("☑" if key == result else "☐") for key in RESULTS}


def context(form: Annex4AuditChecklist, options: RenderOptions) -> dict[str, Any]:
    by_id = {item.id: item for item in form.items}
    return {
        "provider_name": options.provider_name,
        "title": f"{form.user_unit.name}使用商工資料資通安全查核紀錄表",
        "user_unit": form.user_unit.model_dump(),
        "audit_date": format_roc_long(form.audit_date),
        "period_start": format_roc_long(form.period.start),
        "period_end": format_roc_long(form.period.end),
        "auditors": "、".join(p.name + (f"（{p.title}）" if p.title else "") for p in form.auditors),
        "escorts": "、".join(p.name + (f"（{p.title}）" if p.title else "") for p in form.escorts) or "無",
        "items": [
            {"no": i, "category": CATEGORIES[i], "text": text, "box": _boxes(by_id[i].result), "note": by_id[i].note}
            for i, text in STANDARD_ITEMS.items()
        ],
        "findings": [
            {"no": n, "issue": f.issue, "action": f.action, "due": format_roc_short(f.due)}
            for n, f in enumerate(form.findings, 1)
        ],
        "has_findings": bool(form.findings),
    }


def _retain_from(form: Annex4AuditChecklist) -> date:
    return form.audit_date


SPEC = FormSpec(
    form_id="annex4-audit-checklist", annex="附件4", title="使用商工資料資通安全查核紀錄表",
    model=Annex4AuditChecklist, template="annex4-audit-checklist.docx", context=context,
    owner_field="user_unit", retain_from=_retain_from, cross_checks=cross_checks, retention_class="log",
)
