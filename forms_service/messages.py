"""What a person reads when a rule refuses a form: one plain Traditional-Chinese sentence per rule
code, saying what is wrong and how to put it right.

The rules (field types, a form's cross-field checks, the check against its connection's 附件1, the
parties' policies) name a problem by its stable code and this catalogue words it, so the API (which
keeps the code for programs) and the pages (which show the sentence beside the field and in the
summary) say the same thing, and no page translates at its edge.  A sentence names fields by the
labels people see, never by their JSON path, and holds no English, regex or HTTP status.  It is
shared: the date and identifier checks of ``taiwan`` word their refusals here too.

``{…}`` in a sentence is filled from the problem's parameters (the value typed, a limit, a date in
民國).  A code the catalogue does not know is a defect: ``tests/test_messages.py`` checks every code
the rules use.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic_core import PydanticCustomError

from .errors import FieldProblem

# Pydantic's own kinds of error, any field's: worded here with their limits (``{max_length}``, …).
FIELD_KINDS: dict[str, str] = {
    "missing": "此欄必填，請填寫",
    "string_too_short": "此欄必填，請填寫",
    "too_short": "請至少填寫 {min_length} 項",
    "too_long": "最多只能填 {max_length} 項，請刪除多餘的項目",
    "string_too_long": "內容過長：最多 {max_length} 字，請刪減",
    "literal_error": "請從選項中選擇一項",
    "enum": "請從選項中選擇一項",
    "int_parsing": "請填整數（例如 90）",
    "int_type": "請填整數（例如 90）",
    "int_from_float": "請填整數（例如 90），不要有小數",
    "greater_than_equal": "數值不可小於 {ge}",
    "less_than_equal": "數值不可大於 {le}",
    "greater_than": "數值須大於 {gt}",
    "bool_parsing": "請選擇「是」或「否」",
    "bool_type": "請選擇「是」或「否」",
    "string_type": "請填文字",
    "list_type": "請逐項填寫",
    "model_type": "此欄內容不完整，請逐項填寫",
    "model_attributes_type": "此欄內容不完整，請逐項填寫",
    "dict_type": "此欄內容不完整，請逐項填寫",
    "extra_forbidden": "此表單沒有這一欄，請刪除（或核對欄位名稱）",
    "string_pattern_mismatch": "格式不正確，請依欄位說明填寫",
    "invalid": "內容不正確，請依欄位說明填寫",
}

# The service's own rules: field types, the forms' checks, the check against the connection.
RULES: dict[str, str] = {
    "body_not_object": "送出的內容不是一份表單，請重新填寫後再送出",
    "duplicate": "同一選項只能選一次，請刪除重複的選項",
    "date_type": "請填日期，例如 115/11/27",
    "date_format": "「{value}」不是日期，請依 115/11/27 或 民國115年11月27日 的方式填寫",
    "date_year_range": "「{value}」的民國年須在 1 至 999 之間，請改正年份",
    "date_not_in_calendar": "「{value}」這一天不存在，請核對月份（1 至 12）與日期",
    "date_range_reversed": "迄日（{end}）早於起日（{start}），請改正其中一個日期",
    "month_format": "「{value}」不是月份，請依 115/11 的方式填寫",
    "month_range": "「{value}」的月份須在 1 至 12 之間",
    "ubn_digits": "統一編號須為 8 位數字，請核對",
    "ubn_check_digit": "統一編號 {value} 的檢查碼不符，請核對是否抄錯",
    "person_id": "身分證或居留證號「{value}」不正確，請核對（例如 A123456789）",
    "doc_number": "「{value}」不是文號，請依「經商字第10902435080號」的方式填寫",
    "agency_code": "「{value}」不是機關代碼：機關代碼為 10 碼（例如 379000000A），請核對",
    "email": "「{value}」不是電子郵件地址，請依 name@example.gov.tw 的方式填寫",
    "phone": "電話只能有數字、括號、加號、減號及「轉」或「分機」，請改正",
    "record_ref": "請從清單選擇介接案或紀錄，或貼上紀錄編號",
    "ip_address": "「{value}」不是 IP 位址或網段，請依 192.0.2.10 或 192.0.2.0/24 的方式填寫",
    "date_time_format": "「{value}」不是日期時間，請依 115/11/03 09:15 的方式填寫（24 小時制）",
    "time_of_day": "「{value}」不是時間，請依 14:30 的方式填寫（24 小時制）",
    "termination_needs_details": "申請終止時，請填寫終止日期及終止理由",
    "termination_needs_connection": "申請終止時，請選擇要終止的介接案（或填寫其核准文號）",
    "full_application_field": "申請類別為「{kind}」時，此欄必填（規範六(一)2）",
    "not_termination": "只有「終止」申請才填終止日期及理由；若非終止，請清空此欄",
    "security_required": "以{methods}交換資料，須填寫安全防護措施（IP 限制、VPN 傳輸、TLS 加密；規範六(一)2(3)）",
    "host_ips_required": "以{methods}交換資料，須填寫主機 IP 位址",
    "vpn_required": "以{methods}交換資料，須經 VPN 傳輸（規範六(一)2(3)），請勾選",
    "network_open": "{value} 等於不限來源，不是 IP 限制（規範六(一)2(3)），請填主機自己的位址或網段",
    "network_too_wide": ("{value} 的範圍大於 /{widest}：請填主機自己的位址或網段，"
                         "或在「來源網段寬於 /24（IPv6 /48）之理由」欄說明為何需要"),
    "return_before_period": "返還或銷毀日期早於使用期限的起日，請改正",
    "not_an_application": "所選紀錄不是附件1 申請單；請選擇此介接案的附件1",
    "not_a_termination": "所選附件1 不是終止申請；清除紀錄須接在介接案的終止申請之後（規範六(一)2(4)）",
    "terminated": "所選介接案已申請終止，不能再接續其他表單（清除紀錄除外）",
    "differs_from_application": ("與介接案附件1 所載不同（附件1 為「{theirs}」，此處為「{mine}」），"
                                 "同一介接案的表單須一致"),
    "user_not_approved": "{name}（{scope}）不在介接案附件1 所列的使用者之中，請核對或先申請變更",
    "users_left_out": "介接案附件1 另列有使用者 {names}，約定書須列出相同的使用者",
    "unapproved_querier": "{name} 不在介接案附件1 所列的使用者之中，查核結果不能為「無異常」，請改為「有異常」並說明",
    "unknown_record": "找不到此紀錄，或您的機關不能引用它；請從清單選擇介接案",
    "not_the_applicant": "只有此介接案的申請介接單位（{applicant}）或資料提供機關可以申請終止",
    "backdated": "終止日期不得早於申請日（{today}）；追溯終止須由資料提供機關辦理",
    "not_your_agency": "您的帳號屬於{agency}，不能替其他機關填寫此表單；請改填本機關",
    "after_completion": "清除日期晚於全部完成日期，請改正其中一個日期",
    "no_such_item": "查核項目第 {item} 項不存在（共 {last} 項），請核對項次",
    "item_twice": "查核項目第 {item} 項重複填寫，請刪除其中一列",
    "nonconform_needs_note": "勾選「不符合」時，請在說明欄寫出不符合的情形",
    "missing_items": "尚有查核項目未作答：第 {items} 項",
    "finding_required": "第 {item} 項為「不符合」，請在缺失事項列出此項及改善措施",
    "due_before_audit": "改善期限早於查核日期，請改正",
    "audit_before_period": "查核日期早於受查期間的起日，請改正",
    "filled_after_audit": "受查單位的自評須於查核日之前填寫（規範七(四)2）；填表日期晚於查核日期，請改正",
    "outside_month": "此筆查詢的時間不在 {month} 內，請核對，或改列於該月份的登記表",
    "query_subject_missing": "請填寫查詢對象：統一編號、名稱或負責人，至少填一項",
    "too_many_entries": "一份登記表至多 {limit} 筆，此處有 {count} 筆；請將此月份分成數份登記表",
    "review_before_month_end": "查核日期須在 {month} 結束之後（{first} 以後；規範六(四)2(1)每月查核），請改正",
    "abnormal_needs_explanation": "查核結果為「有異常」時，請寫出異常情形及處理方式",
    "reviewer_is_querier": "查核人員 {name} 也是本月的查詢人員（第 {row} 筆）",
    "after_period": "生效日期晚於使用期限的迄日，請改正",
    "approved_after_effect": "生效日期早於核定日期，請改正",
    "same_person": "{first}與{second}為同一人",
    "period_too_long": "使用期限至多 {years} 年，迄日須早於 {before}",
    "before_termination": "第 {place} 處的清除日期早於終止日期（規範僅定終止後一個月內完成）",
    "already_filed": "{system} {month} 已有登記表（{filed} 歸檔）；若為更正或補充，請在說明中寫明",
    "fixed_before_test": "修補完成日期早於檢測日期，請改正",
    "glyph_missing": ("「{char}」（字碼 {point}）無法以表單的字型印出，會印成空白方框；"
                      "請改用通行字，或請管理者加入造字字型"),
}


SENTENCES = {**FIELD_KINDS, **RULES}


def sentence(code: str, **params: Any) -> str:
    """The catalogue's sentence for ``code``, filled with ``params`` (unknown code: the generic one)."""
    template = SENTENCES.get(code) or SENTENCES["invalid"]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        head = re.split(r"[：，（「]", template.split("{", 1)[0])[0].strip()
        return head or SENTENCES["invalid"]


def problem(path: str, code: str, *, worded_as: str = "", **params: Any) -> FieldProblem:
    """A problem with the field at ``path``, worded by the catalogue.  ``worded_as``: a more particular
    sentence for a problem the API reports under a general code (``missing``: which field is missing)."""
    return FieldProblem(path, sentence(worded_as or code, **params), code)


def refusal(code: str, **params: Any) -> PydanticCustomError:
    """For a field type's validator: ``raise refusal("doc_number", value=…)`` — pydantic reports it
    under ``code``, worded by the catalogue."""
    return PydanticCustomError(code, sentence(code, **params))
