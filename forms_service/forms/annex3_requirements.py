"""附件3 （申請介接單位）對（資料使用單位）使用商工資料作業要求 (``annex3-requirements``).

The title carries the real unit names.  Each section answers a clause of the regulation and says
which: the host side (六(二)) and the user side (六(三)), security testing (六(一)2(5)), the monthly
check by a 查核人員 (六(四)2(1)) and the querier's explanation (六(四)2(2)), the recommended system
notice (六(五), generated from the purpose and the system name), incident reporting (六(六)4),
the yearly review and termination (六(一)2(4)), liability (六(六)).  The applicant approves (核定)
the requirements; the block for it is printed whether or not the approval is filled in yet.

The requirements stay in force for the connection's 使用期限, so they are kept until it ends plus
the retention years — or, when no 使用期限 is given, for the longest a 使用期限 can run.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from ..clock import add_years
from ..errors import FieldProblem
from ..messages import problem
from ..taiwan import format_roc_long
from .notice import notice_text
from .policies import Finding, Policy, use_years_findings
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OneLine, Period, Person, RecordRef, RocDate, same_person


class Roles(FormModel):
    manager: Person = Field(description="管理人員")
    auditor: Person = Field(description="查核人員（每月查核查詢紀錄；不得與管理人員為同一人）")


class Approver(Person):
    title: OneLine = Field(description="職稱（必填）")


class Approval(FormModel):
    approver: Approver = Field(description="核定人（申請介接單位首長或授權人）")
    approved_on: RocDate = Field(description="核定日期")


class Annex3Requirements(FormModel):
    applicant: Agency = Field(description="申請介接單位")
    user_unit: Agency = Field(description="資料使用單位")
    system_name: OneLine = Field(description="系統名稱")
    legal_basis: OneLine = Field(description="法源依據")
    purpose: OneLine = Field(description="用途")
    roles: Roles = Field(description="權責")
    account_idle_days: int = Field(90, ge=1, le=365, description="帳號閒置停用日數")
    effective_on: RocDate = Field(description="生效日期")
    period: Period | None = Field(None, description="適用之使用期限（同附件1）")
    related_record: RecordRef | None = Field(None, description="同一介接案之附件1紀錄編號")
    approval: Approval | None = Field(None, description="核定（核定人及日期）")


def system_notice(purpose: str, system_name: str) -> str:
    return notice_text(purpose, system_name)


def policy_checks(form: Annex3Requirements, policy: Policy) -> list[Finding]:
    findings = use_years_findings(form.period, policy)
    if same_person(form.roles.manager, form.roles.auditor):
        findings.append(Finding("manager_not_auditor", problem("roles.auditor", "same_person",
                                                               first="查核人員", second="管理人員")))
    return findings


def effect_within_period(form: Annex3Requirements) -> list[FieldProblem]:
    if form.period is not None and form.effective_on > form.period.end:
        return [problem("effective_on", "after_period")]
    return []


def approved_before_effect(form: Annex3Requirements) -> list[FieldProblem]:
    if form.approval is not None and form.approval.approved_on > form.effective_on:
        return [problem("approval.approved_on", "approved_after_effect")]
    return []


def _person(p: Person) -> dict[str, Any]:
    return p.model_dump()


def context(form: Annex3Requirements, options: RenderOptions) -> dict[str, Any]:
    approval = form.approval
    return {
        "provider_name": options.provider_name,
        "title": f"{form.applicant.name}對{form.user_unit.name}使用商工資料作業要求",
        "applicant": form.applicant.model_dump(),
        "user_unit": form.user_unit.model_dump(),
        "system_name": form.system_name,
        "legal_basis": form.legal_basis,
        "purpose": form.purpose,
        "manager": _person(form.roles.manager),
        "auditor": _person(form.roles.auditor),
        "idle_days": form.account_idle_days,
        "notice": system_notice(form.purpose, form.system_name),
        "effective_on": format_roc_long(form.effective_on),
        "period": (f"自{format_roc_long(form.period.start)}起至{format_roc_long(form.period.end)}止"
                   if form.period else "同申請單所載使用期限"),
        "related_record": form.related_record or "",
        "approval": {
            "approver": f"{approval.approver.title}　{approval.approver.name}" if approval else "",
            "approved_on": format_roc_long(approval.approved_on) if approval else "",
        },
    }


def _retain_from(form: Annex3Requirements) -> date:
    if form.period is not None:
        return form.period.end
    return add_years(form.effective_on, RETAINED_YEARS_WITHOUT_PERIOD)


# Requirements naming no 使用期限 are kept as if they ran this many years from taking effect (the
# service's retention default: the regulation sets no period for 附件3).
RETAINED_YEARS_WITHOUT_PERIOD = 3

SPEC = FormSpec(
    form_id="annex3-requirements", annex="附件3", title="使用商工資料作業要求", model=Annex3Requirements,
    template="annex3-requirements.docx", context=context, owner_field="applicant", retain_from=_retain_from,
    rules=(effect_within_period, approved_before_effect), policy_checks=policy_checks,
)
