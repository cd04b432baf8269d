"""An agency profile: what an agency's new forms start with (機關全銜, 地址, 首長, contacts, the units
and system it usually names), kept by an administrator.  A model like the forms' own, so its page is
made from its schema in the same way and its values are checked with the same types.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from .annex1_application import Contacts
from .policies import MODES, RULES
from .signatures import optional_choices
from .types import Agency, FormModel, OneLine, OptionalLine, Person, labels


class Head(Person):
    title: OneLine = Field(description="職稱（必填）")


Mode = Literal["off", "warn", "refuse"]


def _rule(rule_id: str) -> Any:
    return Field("warn", description=RULES[rule_id].label, json_schema_extra=labels(MODES))


class AgencyRules(FormModel):
    """The agency's own rules (``policies.py``): none is the regulation's."""

    reviewer_not_querier: Mode = _rule("reviewer_not_querier")
    purge_witness_distinct: Mode = _rule("purge_witness_distinct")
    manager_not_auditor: Mode = _rule("manager_not_auditor")


class AgencyProfile(FormModel):
    name: OneLine = Field(description="機關全銜")
    address: OptionalLine = Field("", description="地址")
    head: Head | None = Field(None, description="機關首長（附件2 之機關首長或代表人）")
    contacts: Contacts | None = Field(None, description="聯絡人（業務及資訊）")
    user_units: list[Agency] = Field(default_factory=list, max_length=50, description="常用之資料使用單位")
    system_name: OptionalLine = Field("", description="常用之業務系統名稱")
    signature_blocks: list[str] = Field(
        default_factory=list, max_length=20, json_schema_extra=lambda schema: schema.update(_block_choices()),
        description="由人員以自己的憑證卡先行簽章之欄位（本機關之設定，非規範所定；未勾選者，"
                    "該表單僅由本機關以機關憑證簽章一次）")

    security_test_months: int | None = Field(
        None, ge=1, le=60, description="安全檢測之間隔月數（本機關之設定；規範六(一)2(5)僅定「定期」；"
                                       "填寫後，待辦事項依此提醒；空白則不提醒）")
    policies: AgencyRules | None = Field(
        None, description="本機關自訂之規則（非規範所定：違反時提醒仍可送件，或不予送件）")

    @field_validator("signature_blocks")
    @classmethod
    def _known_blocks(cls, chosen: list[str]) -> list[str]:
        unknown = [c for c in chosen if c not in optional_choices()]
        if unknown:
            raise ValueError("請從選項中選擇簽章欄位")
        return list(dict.fromkeys(chosen))


def _block_choices() -> dict[str, Any]:
    return labels(optional_choices())


def prefill(form_id: str, owner_field: str, code: str, profile: dict[str, Any]) -> dict[str, Any]:
    """The values a new ``form_id`` starts with for agency ``code`` from its profile (JSON)."""
    values: dict[str, Any] = {owner_field: {"name": profile.get("name", ""), "code": code,
                                            **({"address": profile["address"]} if profile.get("address") else {})}}
    units = profile.get("user_units") or []
    contacts = profile.get("contacts")
    system = profile.get("system_name", "")
    if form_id in ("annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements") and units:
        values["user_unit"] = units[0]
    if form_id in ("annex1-interface", "annex1-copy"):
        if contacts:
            values["contacts"] = contacts
        if system:
            values["host"] = {"name": profile.get("name", ""), "system_name": system}
    if form_id == "annex2-agreement":
        if profile.get("head"):
            values["representative"] = {k: v for k, v in profile["head"].items() if k in ("name", "title")}
        if contacts and contacts.get("business"):
            values["contact"] = contacts["business"]
    if form_id in ("annex2-agreement", "annex3-requirements", "annex5-query-log") and system:
        values["system_name"] = system
    return {key: value for key, value in values.items() if value}
