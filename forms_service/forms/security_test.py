"""安全檢測紀錄 (``security-test``): a vulnerability scan or penetration test and its fixes, on record.

規範 六(一)2(5): the agency's network administrators 「應定期執行安全檢測作業，如弱點掃描或滲透測試等
服務，並將其技術脆弱點進行修補且留有紀錄備查」.  The record says what was tested and how (scope, date,
the tool or vendor), what was found, each fix and when it was made, and where the full report is
kept; it belongs to its connection, and its 附件4 item cites it.  How often to test is the agency's
setting (the regulation says 定期 only): the due list reminds at that interval.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ..errors import FieldProblem
from ..messages import problem
from ..taiwan import format_roc_long
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OneLine, OptionalLine, OptionalText, Person, RecordRef, RocDate, Text, labels

KINDS = {"vulnerability_scan": "弱點掃描", "penetration_test": "滲透測試", "other": "其他安全檢測"}
SEVERITIES = {"high": "高", "medium": "中", "low": "低"}


class TestFinding(FormModel):
    issue: Text = Field(description="發現之脆弱點")
    severity: Literal["high", "medium", "low"] = Field(description="風險等級", json_schema_extra=labels(SEVERITIES))
    fix: OptionalText = Field("", description="修補措施")
    fixed_on: RocDate | None = Field(None, description="修補完成日期（尚未修補者免填）")


class SecurityTest(FormModel):
    user_unit: Agency = Field(description="資料使用單位")
    system_name: OneLine = Field(description="系統名稱")
    related_record: RecordRef | None = Field(None, description="同一介接案之附件1紀錄編號")
    kind: Literal["vulnerability_scan", "penetration_test", "other"] = Field(
        description="檢測類別", json_schema_extra=labels(KINDS))
    tested_on: RocDate = Field(description="檢測日期")
    scope: Text = Field(description="檢測範圍（主機、網段、應用系統）")
    tester: OneLine = Field(description="檢測工具或廠商")
    findings: list[TestFinding] = Field(default_factory=list, max_length=200, description="檢測結果及修補")
    report: OptionalLine = Field("", description="完整報告之名稱及存放處（或文號）")
    performed_by: Person = Field(description="執行人")


def fixed_after_test(form: SecurityTest) -> list[FieldProblem]:
    return [problem(f"findings[{i}].fixed_on", "fixed_before_test")
            for i, f in enumerate(form.findings) if f.fixed_on is not None and f.fixed_on < form.tested_on]


def context(form: SecurityTest, options: RenderOptions) -> dict[str, Any]:
    open_items = sum(1 for f in form.findings if f.fixed_on is None)
    return {
        "provider_name": options.provider_name,
        "title": f"{form.user_unit.name}安全檢測紀錄",
        "user_unit": form.user_unit.model_dump(), "system_name": form.system_name,
        "related_record": form.related_record or "", "kind": KINDS[form.kind],
        "tested_on": format_roc_long(form.tested_on), "scope": form.scope, "tester": form.tester,
        "findings": [{"no": i, "issue": f.issue, "severity": SEVERITIES[f.severity], "fix": f.fix or "（尚未修補）",
                      "fixed_on": format_roc_long(f.fixed_on) if f.fixed_on else "—"}
                     for i, f in enumerate(form.findings, 1)],
        "summary": (f"發現 {len(form.findings)} 項，已修補 {len(form.findings) - open_items} 項"
                    + (f"，{open_items} 項待修補" if open_items else "")) if form.findings else "未發現脆弱點",
        "report": form.report or "—",
        "performed_by": " ".join(x for x in (form.performed_by.name, form.performed_by.title) if x),
    }


def _retain_from(form: SecurityTest) -> date:
    fixed = [f.fixed_on for f in form.findings if f.fixed_on is not None]
    return max([form.tested_on, *fixed])


SPEC = FormSpec(
    form_id="security-test", annex="規範六(一)2(5)", title="安全檢測紀錄",
    model=SecurityTest, template="security-test.docx", context=context, owner_field="user_unit",
    retain_from=_retain_from, rules=(fixed_after_test,), retention_class="log",
)
