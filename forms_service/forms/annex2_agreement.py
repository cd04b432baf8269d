"""附件2 商工資料使用安全約定書 (``annex2-agreement``): model, the regulation's clauses, template context.

Signed digitally by the agency (and countersigned by the data provider).  Field names follow
docs/forms.md and are a contract.

The fixed clauses are the regulation's own duties, quoted from 「使用商工資料資通安全管理規範」 with
only the parties named (本司 → the provider, 機關 → 本單位) and each clause's source printed after it,
so an auditor can check every sentence against the regulation.  An agency's own terms go to
``extra_clauses`` and print under a heading of their own, never mixed with the regulation's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from ..taiwan import format_roc_long
from .annex1_application import User
from .notice import notice_text
from .policies import use_years_findings
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OneLine, OptionalLine, Period, Person, RecordRef, RocDate, Text


class Signatory(Person):
    """機關首長或代表人: the title is required (it is printed before the name)."""

    title: OneLine = Field(description="職稱（必填）")


class Annex2Agreement(FormModel):
    party: Agency = Field(description="立約定書人（申請介接單位）")
    user_unit: Agency = Field(description="資料使用單位")
    legal_basis: OneLine = Field(description="法源依據")
    purpose: OneLine = Field(description="用途")
    users: list[User] = Field(min_length=1, max_length=500, description="使用者（業務範圍）（規範 六(一)2(1)）")
    period: Period = Field(description="約定期間（使用期限）")
    system_name: OptionalLine = Field("", description="使用商工資料之業務系統名稱（用於六(五)提示文字）")
    related_record: RecordRef | None = Field(None, description="同一介接案之附件1紀錄編號")
    representative: Signatory = Field(description="機關首長或代表人")
    contact: Person = Field(description="聯絡人")
    signed_on: RocDate = Field(description="簽訂日期")
    extra_clauses: list[Text] = Field(default_factory=list, max_length=30,
                                      description="本單位自訂約定事項（非規範條文；另列於自訂事項下）")


def fixed_clauses(form: Annex2Agreement, provider: str) -> list[tuple[str, str]]:
    """(clause text, its source in the regulation) — the regulation's words, parties named."""
    requirements = f"{form.party.name}對{form.user_unit.name}使用商工資料作業要求"
    notice = notice_text(form.purpose, form.system_name or form.purpose)
    return [
        (f"本單位及資料使用單位依「{form.legal_basis}」之法源依據，僅於「{form.purpose}」之用途、本約定書所列使用者"
         f"及其業務範圍與約定期間內，使用{provider}（以下簡稱提供機關）提供之商工資料。", "六(一)2(1)"),
        (f"本單位針對取得商工資料之使用單位應訂定資料安全使用規範，例如「{requirements}」，規範機關或單位使用商工資料"
         f"應遵守之相關管理規定，並建立「{form.user_unit.name}使用商工資料資通安全查核紀錄表」，且依前述本單位訂定之"
         f"管理規範要求留存相關使用商工資料之「{form.user_unit.name}商工登記資料查詢紀錄登記表（可為系統機制留存或其他"
         "書面資料）」，惟若本單位已有現行之資通安全查核紀錄符合上述要求，即以現行資料提供佐證備查。", "六(一)2(2)"),
        ("使用商工資料，傳輸作業應啟動各項安全防護機制，包含IP限制、VPN傳輸、TLS加密等方式。", "六(一)2(3)"),
        ("本單位每年應自行檢視使用情形以確保資料安全及未經授權的揭露與修改，如已無使用需求，應即函文向提供機關申請"
         "終止該連線作業，並應於一個月內清除介接所得之商工資料。", "六(一)2(4)"),
        ("為保護商工資料傳輸作業資訊，免於詐欺行為、契約爭議及未經授權的揭露與修改，本單位網路管理人員應定期執行安全"
         "檢測作業，如弱點掃描或滲透測試等服務，並將其技術脆弱點進行修補且留有紀錄備查，以確保重要資訊之機密性及完整性。",
         "六(一)2(5)"),
        ("若本單位依商工業務法規授權其他單位使用商工資料執行業務時，需依業務權責向提供機關申請商工系統使用權限，"
         "所有使用軌跡納入提供機關系統留存機制紀錄備查。", "六(一)3"),
        ("本單位內部應自行查核，範圍應涵蓋所有使用單位及使用者。", "六(四)1"),
        ("業務系統使用單位應指派查核人員，針對使用者每月調用查詢紀錄進行查核，以確保所調案件是否為業務所需。"
         "同時查核施行之資通安全保護作業是否確實，查核結果（報告）應留存1年備供查核，如本單位已備符合法規之定期作業，"
         "則自行依本單位資安規定施作。", "六(四)2(1)"),
        ("查核結果若有缺漏，則應請查調者說明；若涉及不法，依第十一條至第十五條辦理。", "六(四)2(2)"),
        (f"使用商工資料之業務系統，建議標註：「{notice}」等或相同意義之提示文字。", "六(五)"),
        ("本單位應妥善保管及利用所取得之資料；其違反相關規定者，除由服務機關懲處外，並應依第十二條至第十五條究責。",
         "六(六)"),
        ("使用單位或使用者不當使用或洩漏經由提供機關提供之商工資料，致當事人權益受損，發生爭議、訴訟時，使用單位或"
         "使用者依資通安全管理法、個人資料保護法、國家賠償法、公司法或其他相關業務法令之規定負完全責任。", "六(六)1"),
        ("違反個人資料保護法之規定，意圖營利者；或意圖為自己或第三人不法之利益，而對於個人資料檔案為非法輸出、干擾、"
         "變更、刪除或以其他非法方法妨害個人資料檔案之正確，致生損害於他人者；或假借職務上之權力、機會或方法，"
         "犯前揭情形之罪者，應負相關之法律責任。", "六(六)2"),
        ("使用者不當使用商工資料之行政責任，應由其所屬機關議處；其涉及刑事責任者，移送司法機關處理。", "六(六)3"),
        ("若發生資料外洩或相關資安事件，應立即通知資料提供機關。", "六(六)4"),
        ("提供機關得不定期辦理實地稽核，稽核日期排定後於一個月前通知；本單位應於稽核日5工作日前先行填覆稽核紀錄表，"
         "並配合安排會議場所；稽核結果如有待改善建議事項，應於提供機關所定期限內將辦理情形函復。", "七(二)、七(四)"),
        (f"本約定書有效期間自{format_roc_long(form.period.start)}起至{format_roc_long(form.period.end)}止。",
         "六(一)2(1)"),
    ]


CHINESE_NUMERALS = "一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    """1 → 一, 12 → 十二, 21 → 二十一 (clause numbers up to 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else CHINESE_NUMERALS[tens - 1] + "十")
    return head + ("" if ones == 0 else CHINESE_NUMERALS[ones - 1])




def context(form: Annex2Agreement, options: RenderOptions) -> dict[str, Any]:
    clauses = fixed_clauses(form, options.provider_name)
    own = len(clauses)
    return {
        "provider_name": options.provider_name,
        "party": form.party.model_dump(),
        "user_unit": form.user_unit.model_dump(),
        "legal_basis": form.legal_basis,
        "purpose": form.purpose,
        "users": [{**u.model_dump(), "no": i} for i, u in enumerate(form.users, 1)],
        "related_record": form.related_record or "",
        "representative": form.representative.model_dump(),
        "contact": form.contact.model_dump(),
        "period_start": format_roc_long(form.period.start),
        "period_end": format_roc_long(form.period.end),
        "signed_on": format_roc_long(form.signed_on),
        "clauses": [{"number": chinese_numeral(i), "text": t, "source": f"（規範{source}）"}
                    for i, (t, source) in enumerate(clauses, 1)],
        "own_clauses": [{"number": chinese_numeral(own + i), "text": t}
                        for i, t in enumerate(form.extra_clauses, 1)],
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
    policy_checks=lambda form, policy: use_years_findings(form.period, policy),
)
