"""附件1 申請單: ``annex1-interface`` (商工e網通異動資料介接申請單) and ``annex1-copy`` (資料複製申請單).

What the regulation asks of an application (規範 六(一)2 and 2(1)): the 資料交換方式 chosen among
those of 四 (媒體遞送、紙本遞送、網路傳送、遠端系統查詢、系統介接), the 作業依據 attached, the agency's
letter (來文) that sends it, and 法源依據、用途、使用單位、使用者（業務範圍）、使用期限.  Whether 個人機敏資料
is involved is asked because it decides the channel (六(一)1).  An online exchange needs the
protections of 六(一)2(3) — IP restriction, VPN, TLS; a copy handed over on media or paper does not.

A 終止 application ends a connection: it names the connection (its earlier record or 核准文號), the
終止日期 and the reason, with the letter that asks for it (六(一)2(4) 函文申請終止) — not a full
application.  The JSON Schema says which fields each 申請類別 needs.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ..errors import FieldProblem
from ..messages import problem
from ..taiwan import format_roc_long
from .policies import use_years_findings
from .spec import FormSpec, RenderOptions
from .types import (
    Agency,
    DocNumber,
    FormModel,
    IpAddress,
    OneLine,
    OptionalLine,
    OptionalText,
    Period,
    Person,
    RecordRef,
    RocDate,
    Text,
    labels,
    source_network_problem,
)

APPLICATION_TYPES = {"new": "新申請", "change": "變更", "renewal": "續用", "termination": "終止"}
# 規範 四: the ways 商工資料 is provided.
EXCHANGE_METHODS = {
    "media": "媒體遞送", "paper": "紙本遞送", "network": "網路傳送",
    "remote_query": "遠端系統查詢", "interface": "系統介接",
}
ONLINE_METHODS = {"network", "remote_query", "interface"}
# A standing connection into the provider's systems travels over a VPN (六(一)2(3)).
CONNECTION_METHODS = {"remote_query", "interface"}
ExchangeMethod = Literal["media", "paper", "network", "remote_query", "interface"]
# What a 新申請, 變更 or 續用 must carry; a 終止 needs none of it.
FULL_APPLICATION_FIELDS = ("legal_basis", "purpose", "users", "period", "data_items", "contacts",
                           "sensitive_personal_data", "basis_documents")


class Host(FormModel):
    name: OneLine = Field(description="資料介接主機端（B/C層）名稱")
    system_name: OneLine = Field(description="系統名稱")
    ip_addresses: list[IpAddress] = Field(default_factory=list, max_length=64,
                                          description="主機 IP（IPv4/IPv6；網路傳送、遠端查詢或介接者必填）")


class User(Person):
    business_scope: OneLine = Field(description="業務範圍")


class Security(FormModel):
    source_ips: list[IpAddress] = Field(
        min_length=1, max_length=64, description="來源 IP（限定連線；網段不得寬於 IPv4 /24、IPv6 /48，除非說明理由）")
    vpn: bool = Field(description="採 VPN 傳輸（系統介接、遠端系統查詢必須）")
    tls_version: Literal["1.2", "1.3"] = Field(description="TLS 版本", json_schema_extra=labels({"1.2": "TLS 1.2",
                                                                                                  "1.3": "TLS 1.3"}))
    wide_network_reason: OptionalText = Field("", description="來源網段寬於 /24（IPv6 /48）之理由")


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


class Letter(FormModel):
    """The agency's letter (來文) that sends the application to the provider (六(一)2)."""

    number: DocNumber = Field(description="來文文號")
    date: RocDate = Field(description="來文日期")


TERMINATED_BY = {"agency": "機關申請終止", "provider": "資料提供機關終止"}


class Termination(FormModel):
    effective_on: RocDate = Field(description="終止日期")
    reason: Text = Field(description="終止理由")
    # Whose termination: the agency's application (六(一)2(4)), or the provider's own stop by its
    # letter — which the agency neither asks for nor signs.
    by: Literal["agency", "provider"] = Field("agency", description="終止類別",
                                               json_schema_extra=labels(TERMINATED_BY))


class ApplicationBase(FormModel):
    application_type: Literal["new", "change", "renewal", "termination"] = Field(
        description="申請類別", json_schema_extra=labels(APPLICATION_TYPES))
    request_letter: Letter = Field(description="來文（文號及日期）")
    applicant: Agency = Field(description="申請介接單位（B層）")
    host: Host = Field(description="資料介接主機端（B/C層）")
    user_unit: Agency = Field(description="資料使用單位（C層）")
    related_record: RecordRef | None = Field(
        None, description="同一介接案之前一份附件1紀錄編號（變更、續用、終止時填寫）")
    approval_number: DocNumber | None = Field(None, description="原核准文號（變更、續用、終止時，無前一紀錄者填寫）")
    sensitive_personal_data: bool | None = Field(None, description="是否涉及個人機敏資料（終止以外必填）")
    basis_documents: list[OneLine] | None = Field(
        None, max_length=20, description="檢附之作業依據（終止以外必填，至少一項）")
    legal_basis: OneLine | None = Field(None, description="法源依據（終止以外必填）")
    purpose: OneLine | None = Field(None, description="用途（終止以外必填）")
    users: list[User] | None = Field(None, max_length=500, description="使用者（業務範圍）（終止以外必填）")
    period: Period | None = Field(None, description="使用期限（終止以外必填）")
    data_items: list[OneLine] | None = Field(None, max_length=50, description="申請資料項目（終止以外必填）")
    security: Security | None = Field(None, description="傳輸安全（網路傳送、遠端系統查詢、系統介接必填）")
    contacts: Contacts | None = Field(None, description="聯絡人（終止以外必填）")
    termination: Termination | None = Field(None, description="終止日期及理由（終止申請必填）")
    applied_on: RocDate = Field(description="申請日期")
    remarks: Text | None = Field(None, description="備註（選填）")


def _schema_by_type(schema: dict[str, Any]) -> None:
    """Which fields each 申請類別 needs, in the JSON Schema itself (JSON Schema's if/then/else)."""
    schema["allOf"] = [{
        "if": {"properties": {"application_type": {"const": "termination"}}},
        "then": {"required": ["termination"]},
        "else": {"required": list(FULL_APPLICATION_FIELDS)},
    }]


def _by_interface() -> list[ExchangeMethod]:
    return ["interface"]


class Annex1Interface(ApplicationBase):
    exchange_methods: list[ExchangeMethod] = Field(
        default_factory=_by_interface, min_length=1, max_length=5,
        description="資料交換方式（規範 四；可複選）", json_schema_extra=labels(EXCHANGE_METHODS))
    frequency: OptionalLine = Field("", description="介接頻率")

    model_config = {**ApplicationBase.model_config, "json_schema_extra": _schema_by_type}


class Annex1Copy(ApplicationBase):
    exchange_methods: list[ExchangeMethod] = Field(
        min_length=1, max_length=5, description="資料交換方式（規範 四；可複選）",
        json_schema_extra=labels(EXCHANGE_METHODS))
    copy_details: CopyDetails | None = Field(
        None, alias="copy", description="資料複製：範圍、媒體、交付、受託者、返還／銷毀（終止以外必填）")

    model_config = {**ApplicationBase.model_config, "populate_by_name": True, "json_schema_extra": _schema_by_type}


def _missing(path: str, worded_as: str, **params: str) -> FieldProblem:
    return problem(path, "missing", worded_as=worded_as, **params)


def distinct_methods(form: Annex1Interface | Annex1Copy) -> list[FieldProblem]:
    if len(set(form.exchange_methods)) != len(form.exchange_methods):
        return [problem("exchange_methods", "duplicate")]
    return []


def type_rules(form: ApplicationBase) -> list[FieldProblem]:
    """What the 申請類別 asks for: a 終止 its details and connection, the others the full form."""
    problems: list[FieldProblem] = []
    if form.application_type == "termination":
        if form.termination is None:
            problems.append(_missing("termination", "termination_needs_details"))
        if form.related_record is None and form.approval_number is None:
            problems.append(_missing("related_record", "termination_needs_connection"))
    else:
        kind = APPLICATION_TYPES[form.application_type]
        problems += [_missing(name, "full_application_field", kind=kind)
                     for name in FULL_APPLICATION_FIELDS if getattr(form, name) is None]
        for name in ("users", "data_items", "basis_documents"):
            if getattr(form, name) == []:
                problems.append(problem(name, "too_short", min_length=1))
        if isinstance(form, Annex1Copy) and form.copy_details is None:
            problems.append(_missing("copy", "full_application_field", kind=kind))
        if form.termination is not None:
            problems.append(problem("termination", "not_termination"))
    return problems


def online_rules(form: Annex1Interface | Annex1Copy) -> list[FieldProblem]:
    """An online exchange (not a 終止) carries its security measures and its hosts' IPs."""
    problems: list[FieldProblem] = []
    methods: set[str] = set(form.exchange_methods)
    terminating = form.application_type == "termination"
    online = methods & ONLINE_METHODS
    if online and not terminating:
        names = "、".join(EXCHANGE_METHODS[m] for m in sorted(online))
        if form.security is None:
            problems.append(_missing("security", "security_required", methods=names))
        if not form.host.ip_addresses:
            problems.append(problem("host.ip_addresses", "too_short", worded_as="host_ips_required", methods=names))
    if form.security is not None and not terminating:
        problems += _security_problems(form.security, methods)
    return problems


def copy_rules(form: ApplicationBase) -> list[FieldProblem]:
    """A copy is returned or destroyed no earlier than its period starts."""
    problems: list[FieldProblem] = []
    if isinstance(form, Annex1Copy) and form.copy_details and form.period \
            and form.copy_details.return_or_destroy_by < form.period.start:
        problems.append(problem("copy.return_or_destroy_by", "invalid", worded_as="return_before_period"))
    return problems


def _security_problems(security: Security, methods: set[str]) -> list[FieldProblem]:
    problems = []
    connection = methods & CONNECTION_METHODS
    if connection and not security.vpn:
        names = "、".join(EXCHANGE_METHODS[m] for m in sorted(connection))
        problems.append(problem("security.vpn", "vpn_required", methods=names))
    justified = bool(security.wide_network_reason.strip())
    for index, source in enumerate(security.source_ips):
        why = source_network_problem(source, justified=justified)
        if why:  # the API's code stays network_too_wide for both: no restriction at all, or too wide
            wording, params = why
            problems.append(problem(f"security.source_ips[{index}]", "network_too_wide", worded_as=wording, **params))
    return problems


def checkbox(selected: bool) -> str:
    return "☑" if selected else "☐"


def context(form: ApplicationBase, options: RenderOptions) -> dict[str, Any]:
    methods = set(getattr(form, "exchange_methods", ()))
    security = form.security
    ctx = {
        "provider_name": options.provider_name,
        "full": form.application_type != "termination",
        "application_types": [
            {"box": checkbox(form.application_type == key), "label": label} for key, label in APPLICATION_TYPES.items()
        ],
        "letter": {"number": form.request_letter.number, "date": format_roc_long(form.request_letter.date)},
        "exchange_methods": [{"box": checkbox(key in methods), "label": label}
                             for key, label in EXCHANGE_METHODS.items()],
        "sensitive_yes": checkbox(form.sensitive_personal_data is True),
        "sensitive_no": checkbox(form.sensitive_personal_data is False),
        "basis_documents": "、".join(form.basis_documents or []),
        "related": {"record": form.related_record or "", "approval_number": form.approval_number or ""},
        "applicant": form.applicant.model_dump(),
        "host": {**form.host.model_dump(), "ips": "、".join(form.host.ip_addresses) or "（無）"},
        "user_unit": form.user_unit.model_dump(),
        "legal_basis": form.legal_basis or "",
        "purpose": form.purpose or "",
        "users": [{**u.model_dump(), "no": i} for i, u in enumerate(form.users or [], 1)],
        "period_start": format_roc_long(form.period.start) if form.period else "",
        "period_end": format_roc_long(form.period.end) if form.period else "",
        "data_items": "、".join(form.data_items or []),
        "security": {
            "given": security is not None,
            "source_ips": "、".join(security.source_ips) if security else "",
            "vpn_yes": checkbox(bool(security and security.vpn)),
            "vpn_no": checkbox(bool(security and not security.vpn)),
            "tls12": checkbox(bool(security and security.tls_version == "1.2")),
            "tls13": checkbox(bool(security and security.tls_version == "1.3")),
            "wide_network_reason": security.wide_network_reason if security else "",
        },
        "contacts": {
            "business": form.contacts.business.model_dump() if form.contacts else {},
            "it": form.contacts.it.model_dump() if form.contacts else {},
        },
        "termination": {
            "effective_on": format_roc_long(form.termination.effective_on) if form.termination else "",
            "reason": form.termination.reason if form.termination else "",
            "kind": TERMINATED_BY[form.termination.by] if form.termination else "",
            "by_provider": bool(form.termination and form.termination.by == "provider"),
        },
        # The letter is the provider's own when it stops the connection.
        "letter_label": "資料提供機關來文文號" if form.termination and form.termination.by == "provider"
        else "來文文號",
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
        } if c else {}
    return ctx


def _retain_from(form: ApplicationBase) -> date:
    if form.termination is not None:
        return form.termination.effective_on
    return form.period.end if form.period else form.applied_on


RULES = (distinct_methods, type_rules, online_rules, copy_rules)
INTERFACE = FormSpec(
    form_id="annex1-interface", annex="附件1", title="商工e網通異動資料介接申請單", model=Annex1Interface,
    template="annex1-interface.docx", context=context, owner_field="applicant", retain_from=_retain_from,
    rules=RULES,
    policy_checks=lambda form, policy: use_years_findings(form.period, policy),
)
COPY = FormSpec(
    form_id="annex1-copy", annex="附件1", title="商工e網通資料複製申請單", model=Annex1Copy,
    template="annex1-copy.docx", context=context, owner_field="applicant", retain_from=_retain_from,
    rules=RULES,
    policy_checks=lambda form, policy: use_years_findings(form.period, policy),
)
