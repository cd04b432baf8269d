"""附件3 （申請介接單位）對（資料使用單位）使用商工資料作業要求 (``annex3-requirements``).

The title carries the real unit names; the 規範 六(五) system notice is generated from the purpose
and the system name.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from ..errors import FieldProblem
from ..taiwan import format_roc_long
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OneLine, Person, RocDate, same_person


class Roles(FormModel):
    manager: Person = Field(description="管理人員")
    auditor: Person = Field(description="稽核人員（不得與管理人員為同一人）")


class Annex3Requirements(FormModel):
    applicant: Agency = Field(description="申請介接單位")
    user_unit: Agency = Field(description="資料使用單位")
    system_name: OneLine = Field(description="系統名稱")
    legal_basis: OneLine = Field(description="法源依據")
    purpose: OneLine = Field(description="用途")
    roles: Roles = Field(description="權責")
    account_idle_days: int = Field(90, ge=1, le=365, description="帳號閒置停用日數")
    effective_on: RocDate = Field(description="生效日期")


def system_notice(purpose: str, system_name: str) -> str:
    return f"商工資料係為{purpose}目的蒐集，僅供{system_name}作業之參考；若有資料內容疑問時，可向登記主管機關洽詢。"


def cross_checks(form: Annex3Requirements) -> list[FieldProblem]:
    if same_person(form.roles.manager, form.roles.auditor):
        return [FieldProblem("roles.auditor", "the auditor must be a different person from the manager", "same_person")]
    return []


def context(form: Annex3Requirements, options: RenderOptions) -> dict[str, Any]:
    return {
        "provider_name": options.provider_name,
        "title": f"{form.applicant.name}對{form.user_unit.name}使用商工資料作業要求",
        "applicant": form.applicant.model_dump(),
        "user_unit": form.user_unit.model_dump(),
        "system_name": form.system_name,
        "legal_basis": form.legal_basis,
        "purpose": form.purpose,
        "manager": form.roles.manager.model_dump(),
        "auditor": form.roles.auditor.model_dump(),
        "idle_days": form.account_idle_days,
        "notice": system_notice(form.purpose, form.system_name),
        "effective_on": format_roc_long(form.effective_on),
    }


def _retain_from(form: Annex3Requirements) -> date:
    return form.effective_on


SPEC = FormSpec(
    form_id="annex3-requirements", annex="附件3", title="使用商工資料作業要求", model=Annex3Requirements,
    template="annex3-requirements.docx", context=context, owner_field="applicant", retain_from=_retain_from,
    cross_checks=cross_checks,
)
