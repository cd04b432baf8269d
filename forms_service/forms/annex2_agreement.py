"""附件2 商工資料使用安全約定書 (``annex2-agreement``): model, fixed clauses, template context.

Signed digitally by the agency (and countersigned by the data provider).  Field names follow
docs/forms.md and are a contract.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from ..taiwan import format_roc_long
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OneLine, Period, Person, RocDate, Text


class Signatory(Person):
    """機關首長或代表人: the title is required (it is printed before the name)."""

    title: OneLine = Field(description="職稱（必填）")


class Annex2Agreement(FormModel):
    party: Agency = Field(description="立約定書人（申請介接單位）")
    user_unit: Agency = Field(description="資料使用單位")
    legal_basis: OneLine = Field(description="法源依據")
    purpose: OneLine = Field(description="用途")
    period: Period = Field(description="約定期間（使用期限）")
    representative: Signatory = Field(description="機關首長或代表人")
    contact: Person = Field(description="聯絡人")
    signed_on: RocDate = Field(description="簽訂日期")
    extra_clauses: list[Text] = Field(default_factory=list, max_length=30, description="其他約定事項（依序附加）")


def fixed_clauses(form: Annex2Agreement, provider: str) -> list[str]:
    """The clauses every agreement carries (content from the regulation; wording is ours)."""
    return [
        f"本單位及資料使用單位應依「{form.legal_basis}」之法源依據，僅於「{form.purpose}」之用途範圍內使用"
        f"{provider}（以下簡稱提供機關）提供之商工資料，不得為目的外之利用。",
        "非經提供機關書面同意，不得將商工資料複製、轉作他用或提供予第三人。",
        "委託廠商處理商工資料者，應使受託者受本約定書同等之拘束；委託關係終止時，受託者應返還資料，不得留存任何複本。",
        "應指定專人負責商工資料之使用及安全管理，並採行限定連線IP、虛擬私人網路（VPN）、傳輸層安全協定（TLS）"
        "加密傳輸及最小權限等安全措施。",
        "使用者帳號應專人專用，不得共用；使用者調職或離職時，應即註銷其帳號。",
        "應每月檢視商工資料查詢紀錄，查詢紀錄及檢視結果至少保存一年。",
        "業務系統應揭示下列告示文字：「商工資料係為○○目的蒐集，僅供○○○作業之參考；若有資料內容疑問時，"
        "可向登記主管機關洽詢。」",
        "應每年辦理安全檢視，並配合提供機關之稽核；稽核所見缺失應於一個月內提出改善說明。",
        "發生資料外洩或資通安全事件時，應立即通報提供機關，並依相關規定處理。",
        "約定期間屆滿、終止或違反本約定書時，提供機關得停止資料介接；本單位應於一個月內刪除所有商工資料，"
        "並留存銷毀紀錄。",
        "違反本約定書者，依資通安全管理法、個人資料保護法、國家賠償法及其他相關法令負其責任。",
        f"本約定書有效期間自{format_roc_long(form.period.start)}起至{format_roc_long(form.period.end)}止。",
    ]


CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (clause numbers up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_NUMERALS[tens - 1] + "十")
    return head + ("" if ones == 0 else CHINESE_NUMERALS[ones - 1])


def context(form: Annex2Agreement, options: RenderOptions) -> dict[str, Any]:
    clauses = fixed_clauses(form, options.provider_name) + list(form.extra_clauses)
    return {
        "provider_name": options.provider_name,
        "party": form.party.model_dump(),
        "user_unit": form.user_unit.model_dump(),
        "legal_basis": form.legal_basis,
        "purpose": form.purpose,
        "representative": form.representative.model_dump(),
        "contact": form.contact.model_dump(),
        "period_start": format_roc_long(form.period.start),
        "period_end": format_roc_long(form.period.end),
        "signed_on": format_roc_long(form.signed_on),
        "clauses": [{"number": chinese_numeral(i), "text": t} for i, t in enumerate(clauses, 1)],
    }


def _retain_from(form: Annex2Agreement) -> date:
    return form.period.end


SPEC = FormSpec(
    form_id="annex2-agreement",
    annex="附件2",
    title="商工資料使用安全約定書",
    model=Annex2Agreement,
    template="annex2-agreement.docx",
    context=context,
    owner_field="party",
    countersigned=True,
    retain_from=_retain_from,
)
