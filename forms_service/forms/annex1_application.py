"""附件1 申請單: ``annex1-interface`` (商工e網通異動資料介接申請單) and ``annex1-copy`` (資料複製申請單).

Both share the applicant, host, users, period (at most 3 years), data items, transport security
and contacts; the interface form adds the frequency, the copy form adds how the copy is handed
over and returned or destroyed.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ..errors import FieldProblem
from ..taiwan import format_roc_long
from .spec import FormSpec, RenderOptions
from .types import (
    Agency,
    FormModel,
    IpAddress,
    OneLine,
    OptionalLine,
    Period,
    Person,
    RocDate,
    Text,
    period_within_years,
)

APPLICATION_TYPES = {"new": "新申請", "change": "變更", "renewal": "續用", "termination": "終止"}
MAX_YEARS = 3


class Host(FormModel):
    name: OneLine = Field(description="資料介接主機端（B/C層）名稱")
    system_name: OneLine = Field(description="系統名稱")
    ip_addresses: list[IpAddress] = Field(min_length=1, max_length=64, description="主機 IP（IPv4/IPv6）")


class User(Person):
    business_scope: OneLine = Field(description="業務範圍")


class Security(FormModel):
    source_ips: list[IpAddress] = Field(min_length=1, max_length=64, description="來源 IP（限定連線）")
    vpn: bool = Field(description="採 VPN 傳輸")
    tls_version: Literal["1.2", "1.3"] = Field(description="TLS 版本")


class Contact(Person):
    phone: OneLine = Field(description="電話（必填）")
    email: OneLine = Field(description="電子郵件（必填）", pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Contacts(FormModel):
    business: Contact = Field(description="業務聯絡人")
    it: Contact = Field(description="資訊聯絡人")


class CopyDetails(FormModel):
    data_range: OneLine = Field(description="資料範圍／期間")
    media: OneLine = Field(description="交付媒體")
    delivery: OneLine = Field(description="交付方式")
    contractor: Agency | None = Field(None, description="受託處理者")
    return_or_destroy_by: RocDate = Field(description="返還／銷毀日期")


class ApplicationBase(FormModel):
    application_type: Literal["new", "change", "renewal", "termination"] = Field(description="申請類別")
    applicant: Agency = Field(description="申請介接單位（B層）")
    host: Host = Field(description="資料介接主機端（B/C層）")
    user_unit: Agency = Field(description="資料使用單位（C層）")
    legal_basis: OneLine = Field(description="法源依據")
    purpose: OneLine = Field(description="用途")
    users: list[User] = Field(min_length=1, max_length=500, description="使用者（業務範圍）")
    period: Period = Field(description="使用期限（至多 3 年）")
    data_items: list[OneLine] = Field(min_length=1, max_length=50, description="申請資料項目")
    security: Security = Field(description="傳輸安全")
    contacts: Contacts = Field(description="聯絡人")
    applied_on: RocDate = Field(description="申請日期")
    remarks: Text | None = Field(None, description="備註（選填）")


class Annex1Interface(ApplicationBase):
    frequency: OptionalLine = Field("", description="介接頻率")


class Annex1Copy(ApplicationBase):
    copy_details: CopyDetails = Field(alias="copy", description="資料複製：範圍、媒體、交付、受託者、返還／銷毀")

    model_config = {**ApplicationBase.model_config, "populate_by_name": True}


def cross_checks(form: ApplicationBase) -> list[FieldProblem]:
    problems = []
    try:
        period_within_years(form.period, MAX_YEARS)
    except ValueError as err:
        problems.append(FieldProblem("period.end", str(err), "period_too_long"))
    if isinstance(form, Annex1Copy) and form.copy_details.return_or_destroy_by < form.period.start:
        problems.append(FieldProblem("copy.return_or_destroy_by",
                                     "the return or destruction date is before the period starts"))
    return problems


def checkbox(selected: bool) -> str:
    return "☑" if selected else "☐"


def context(form: ApplicationBase, options: RenderOptions) -> dict[str, Any]:
    ctx = {
        "provider_name": options.provider_name,
        "application_types": [
            {"box": checkbox(form.application_type == key), "label": label} for key, label in APPLICATION_TYPES.items()
        ],
        "applicant": form.applicant.model_dump(),
        "host": {**form.host.model_dump(), "ips": "、".join(form.host.ip_addresses)},
        "user_unit": form.user_unit.model_dump(),
        "legal_basis": form.legal_basis,
        "purpose": form.purpose,
        "users": [{**u.model_dump(), "no": i} for i, u in enumerate(form.users, 1)],
        "period_start": format_roc_long(form.period.start),
        "period_end": format_roc_long(form.period.end),
        "data_items": "、".join(form.data_items),
        "security": {
            "source_ips": "、".join(form.security.source_ips),
            "vpn_yes": checkbox(form.security.vpn), "vpn_no": checkbox(not form.security.vpn),
            "tls12": checkbox(form.security.tls_version == "1.2"),
            "tls13": checkbox(form.security.tls_version == "1.3"),
        },
        "contacts": {"business": form.contacts.business.model_dump(), "it": form.contacts.it.model_dump()},
        "applied_on": format_roc_long(form.applied_on),
        "remarks": form.remarks or "",
        "frequency": getattr(form, "frequency", ""),
    }
    if isinstance(form, Annex1Copy):
        c = form.copy_details
        ctx["copy"] = {
            "data_range": c.data_range, "media": c.media, "delivery": c.delivery,
            "contractor": c.contractor.name if c.contractor else "無",
            "return_or_destroy_by": format_roc_long(c.return_or_destroy_by),
        }
    return ctx


def _retain_from(form: ApplicationBase) -> date:
    return form.period.end


INTERFACE = FormSpec(
    form_id="annex1-interface", annex="附件1", title="商工e網通異動資料介接申請單", model=Annex1Interface,
    template="annex1-interface.docx", context=context, owner_field="applicant", retain_from=_retain_from,
    cross_checks=cross_checks,
)
COPY = FormSpec(
    form_id="annex1-copy", annex="附件1", title="商工e網通資料複製申請單", model=Annex1Copy,
    template="annex1-copy.docx", context=context, owner_field="applicant", retain_from=_retain_from,
    cross_checks=cross_checks,
)
