"""What each form says, read against 「使用商工資料資通安全管理規範」 (docs/regulation/regulation-v1.1.md).

- every quotation a form takes from the regulation is found, word for word, in the regulation's
  text *and* in the form filled from its example (so neither the form nor the quote can drift);
- what the regulation does not say is not printed as if it did;
- the filled text of each example is compared with a stored reference (tests/golden/<form>.txt),
  so a new field that stops printing, or a clause that changes, shows up as a diff.

Regenerate the references after an intended change:  UPDATE_GOLDEN=1 ./dev test tests/test_form_content.py
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest

from forms_service.forms import RenderOptions, get_form
from forms_service.forms.signatures import signing_order
from forms_service.produce.render import render_docx
from forms_service.produce.templates import packaged_template
from tests.conftest import load_example

REGULATION = (Path(__file__).parent.parent / "docs" / "regulation" / "regulation-v1.1.md").read_text(encoding="utf-8")
GOLDEN = Path(__file__).parent / "golden"
PROVIDER = "經濟部商業發展署"
FORM_IDS = ["annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements",
            "annex4-audit-checklist", "annex5-query-log", "purge-record", "incident-report",
            "security-test"]

# Word for word from the regulation (spacing and bracket width aside), with the clause each answers.
QUOTES: dict[str, list[str]] = {
    "annex1-interface": [
        "媒體遞送", "紙本遞送", "網路傳送", "遠端系統查詢", "系統介接",  # 四
        "個人機敏資料", "作業依據", "法源依據", "用途", "使用者(業務範圍)", "使用期限",  # 六(一)1, 2, 2(1)
    ],
    "annex2-agreement": [
        "使用者(業務範圍)",  # 六(一)2(1)
        "傳輸作業應啟動各項安全防護機制，包含IP限制、VPN傳輸、TLS加密等方式",  # 六(一)2(3)
        "每年應自行檢視使用情形以確保資料安全及未經授權的揭露與修改，如已無使用需求，應即函文向",  # 六(一)2(4)
        "申請終止該連線作業，並應於一個月內清除介接所得之商工資料",
        "應定期執行安全檢測作業，如弱點掃描或滲透測試等服務，並將其技術脆弱點進行修補且留有紀錄備查",  # 六(一)2(5)
        "所有使用軌跡納入",  # 六(一)3
        "內部應自行查核，範圍應涵蓋所有使用單位及使用者",  # 六(四)1
        "業務系統使用單位應指派查核人員，針對使用者每月調用查詢紀錄進行查核，以確保所調案件是否為業務所需。"
        "同時查核施行之資通安全保護作業是否確實，查核結果(報告)應留存1年備供查核",  # 六(四)2(1)
        "查核結果若有缺漏，則應請查調者說明",  # 六(四)2(2)
        "建議標註", "若有資料內容疑問時，可向登記主管機關洽詢", "等或相同意義之提示文字",  # 六(五)
        "除由服務機關懲處外",  # 六(六)
        "依資通安全管理法、個人資料保護法、國家賠償法、公司法或其他相關業務法令之規定負完全責任",  # 六(六)1
        "違反個人資料保護法之規定，意圖營利者；或意圖為自己或第三人不法之利益，而對於個人資料檔案為非法輸出、干擾、"
        "變更、刪除或以其他非法方法妨害個人資料檔案之正確，致生損害於他人者；或假借職務上之權力、機會或方法，"
        "犯前揭情形之罪者，應負相關之法律責任",  # 六(六)2
        "使用者不當使用商工資料之行政責任，應由其所屬機關議處；其涉及刑事責任者，移送司法機關處理",  # 六(六)3
        "若發生資料外洩或相關資安事件，應立即通知資料提供機關",  # 六(六)4
        "應於稽核日5工作日前先行填覆稽核紀錄表",  # 七(四)2
    ],
    "annex3-requirements": [
        "查核人員", "每月調用查詢紀錄進行查核，以確保所調案件是否為業務所需",  # 六(四)2(1)
        "傳輸作業應啟動各項安全防護機制，包含IP限制、VPN傳輸、TLS加密等方式",  # 六(二), 六(一)2(3)
        "資通安全管理規定",  # 六(二), 六(三) defer to the agency
        "弱點掃描或滲透測試", "並將其技術脆弱點進行修補且留有紀錄備查",  # 六(一)2(5)
        "查核結果若有缺漏，則應請查調者說明",  # 六(四)2(2)
        "若發生資料外洩或相關資安事件，應立即通知",  # 六(六)4
        "申請終止該連線作業，並應於一個月內清除介接所得之商工資料",  # 六(一)2(4)
        "若有資料內容疑問時，可向登記主管機關洽詢",  # 六(五)
        "使用者不當使用商工資料之行政責任，應由其所屬機關議處；其涉及刑事責任者，移送司法機關處理",  # 六(六)3
        "所有使用單位及使用者",  # 六(四)1
    ],
    "annex4-audit-checklist": [
        "所有使用單位及使用者", "業務所需", "查調者", "弱點掃描或滲透測試", "申請終止", "商工系統使用權限",
        "資通安全保護作業",
    ],
    "annex5-query-log": [
        "查核人員", "業務所需", "查調者說明", "資通安全保護作業", "查核結果(報告)應留存1年備供查核",
    ],
}
QUOTES["annex1-copy"] = QUOTES["annex1-interface"]
QUOTES["purge-record"] = ["申請終止該連線作業，並應於一個月內清除介接所得之商工資料"]  # 六(一)2(4)
QUOTES["incident-report"] = ["若發生資料外洩或相關資安事件，應立即通知資料提供機關"]  # 六(六)4
QUOTES["security-test"] = ["機關網路管理人員應定期執行安全檢測作業，如弱點掃描或滲透測試等服務"]  # 六(一)2(5)

# Wording the regulation does not contain, which a form must not print as its duty.
NOT_IN_THE_REGULATION: dict[str, list[str]] = {
    "annex2-agreement": ["一個月內提出改善說明", "○"],
    "annex3-requirements": ["稽核人員", "缺失應於一個月內改善", "○", "目的目的"],
    "annex5-query-log": ["檢視人員"],
}


def canon(text: str) -> str:
    """Compared as printed: NFKC (（報告） is (報告)) without whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def filled_lines(form_id: str, data: dict) -> list[str]:
    """The filled template's text, a line per paragraph (table cells are paragraphs too)."""
    spec = get_form(form_id)
    form = spec.validate(data)
    order = tuple(b.id for b in signing_order(form_id))  # the default: the agency's block, the provider's
    options = RenderOptions(PROVIDER, signature_blocks=order)
    docx = render_docx(packaged_template(spec.template), spec.render_context(form, options))
    xml = zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml").decode()
    lines = []
    for paragraph in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.DOTALL):
        text = "".join(re.findall(r"<w:t(?: [^>]*)?>(.*?)</w:t>", paragraph, flags=re.DOTALL))
        for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
            text = text.replace(entity, char)
        if text.strip():
            lines.append(text)
    return lines


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_every_quotation_is_the_regulations_and_is_printed(form_id):
    text = canon("".join(filled_lines(form_id, load_example(form_id))))
    regulation = canon(REGULATION)
    not_quoted = [q for q in QUOTES[form_id] if canon(q) not in regulation]
    not_printed = [q for q in QUOTES[form_id] if canon(q) not in text]
    assert not_quoted == [] and not_printed == []


@pytest.mark.parametrize("form_id", sorted(NOT_IN_THE_REGULATION))
def test_what_the_regulation_does_not_say_is_not_printed(form_id):
    text = canon("".join(filled_lines(form_id, load_example(form_id))))
    assert [w for w in NOT_IN_THE_REGULATION[form_id] if canon(w) in text] == []


def test_the_agencys_own_clauses_print_under_a_heading_of_their_own():
    lines = filled_lines("annex2-agreement", load_example("annex2-agreement"))
    heading = next(i for i, line in enumerate(lines) if line.startswith("本單位自訂約定事項"))
    assert "非屬規範條文" in lines[heading]
    assert any("年度自行檢視結果送本單位備查" in line for line in lines[heading + 1:])
    assert not any("年度自行檢視結果送本單位備查" in line for line in lines[:heading])


def test_each_regulation_clause_of_the_agreement_names_its_source():
    lines = [line for line in filled_lines("annex2-agreement", load_example("annex2-agreement"))
             if re.match(r"^[一二三四五六七八九十]+、", line)]
    own = [line for line in lines if "年度自行檢視結果送本單位備查" in line]
    assert len(lines) >= 17 and all(re.search(r"（規範[一二三四五六七八]\(", line) for line in lines if line not in own)


def test_a_termination_prints_what_ends_the_connection_not_a_full_application():
    from tests.test_form_rules import TERMINATION

    data = {**TERMINATION, "related_record": None, "approval_number": "經商字第10902435080號"}
    text = canon("".join(filled_lines("annex1-interface", data)))
    for printed in ("☑終止", "中華民國115年12月31日", "系統停用，已無使用需求。", "經商字第10902435080號",
                    "申請終止該連線作業", "一個月內清除介接所得之商工資料"):
        assert canon(printed) in text, printed
    assert canon("使用者(業務範圍)") not in text and "法源依據" not in text


def test_the_system_notice_fills_its_blanks_without_doubling_words():
    from forms_service.forms.notice import notice_text

    assert notice_text("稅捐稽徵目的", "稅務查詢作業") == (
        "商工資料係為稅捐稽徵目的蒐集，僅供稅務查詢作業之參考；若有資料內容疑問時，可向登記主管機關洽詢。")


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_the_filled_text_matches_its_reference(form_id):
    text = "\n".join(filled_lines(form_id, load_example(form_id))) + "\n"
    reference = GOLDEN / f"{form_id}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        reference.write_text(text, encoding="utf-8")
    assert text == reference.read_text(encoding="utf-8")


def test_a_providers_stop_says_it_is_the_providers_and_carries_no_agency_sign_off():
    """The provider's 終止 of a connection: its own letter, its own sentence; the agency's
    「本單位已無使用需求…申請終止」 and its sign-off are not printed under the agency's name."""
    ending = {key: value for key, value in load_example("annex1-interface").items()
              if key in ("applicant", "host", "user_unit", "applied_on")}
    stop = {**ending, "application_type": "termination", "related_record": "rec_00000000000000000000000000000001",
            "request_letter": {"number": "經商字第11500012340號", "date": "115/02/02"},
            "termination": {"effective_on": "115/02/10", "reason": "查核發現目的外利用", "by": "provider"}}
    text = "\n".join(filled_lines("annex1-interface", stop))
    assert "資料提供機關來文文號" in text and "資料提供機關終止" in text
    assert f"{PROVIDER}依上開來文終止本連線作業" in text and "於一個月內清除介接所得之商工資料" in text
    assert "本單位已無使用需求" not in text and "承辦人" not in text and "機關首長（或授權人）" not in text
    own = {**stop, "termination": {**stop["termination"], "by": "agency"}}
    text = "\n".join(filled_lines("annex1-interface", own))
    assert "本單位已無使用需求" in text and "機關申請終止" in text and "承辦人" in text


# --- every clause a form quotes, whole -------------------------------------------------------------

def regulation_sentence(start: str, end: str) -> str:
    """The regulation's text from ``start`` to ``end`` (both included), as it stands."""
    text = canon(REGULATION)
    begin = text.index(canon(start))
    return text[begin:text.index(canon(end), begin) + len(canon(end))]


# How a form may name the parties and its own clauses in a quotation; nothing else may differ.
NAMING = [
    (canon("第(六)點"), r"第.{1,12}?[點條]"),
    (canon("依下列規定究責："), r"依.{1,20}?究責[:。]"),
    (canon("(申請介接單位)"), r".{1,60}?"), (canon("(資料使用單位)"), r".{1,60}?"),
    ("○○○", r".{1,60}?"), ("○○", r".{1,60}?"),
    ("使用商工資料之機關", r"(?:使用商工資料之機關|本單位)"),
    ("本司", r"(?:本司|提供機關|資料提供機關|經濟部商業發展署)"),
]
NOT_THE_PARTY = ("服務", "所屬", "司法", "主管", "提供")  # 服務機關, 登記主管機關…: other bodies


def quotation_pattern(sentence: str) -> re.Pattern[str]:
    """The regulation's sentence as a pattern a form's quotation must match whole."""
    parts, at = [], 0
    while at < len(sentence):
        for literal, pattern in NAMING:
            if sentence.startswith(literal, at):
                parts.append(pattern)
                at += len(literal)
                break
        else:
            if sentence.startswith("機關", at) and sentence[max(0, at - 2):at] not in NOT_THE_PARTY:
                parts.append(r"(?:機關|本單位)?")  # the agency: itself, 本單位, or the clause's subject left out
                at += 2
            else:
                parts.append(re.escape(sentence[at]))
                at += 1
    return re.compile("".join(parts))


WHOLE_QUOTATIONS = {
    "annex2-agreement": [
        ("機關針對取得商工資料之使用單位應訂定資料安全使用規範", "即以現行資料提供佐證備查。"),  # 六(一)2(2)
        ("傳輸作業應啟動各項安全防護機制", "TLS 加密等方式。"),  # 六(一)2(3)
        ("機關每年應自行檢視使用情形", "並應於一個月內清除介接所得之商工資料。"),  # 六(一)2(4)
        ("為保護商工資料傳輸作業資訊", "以確保重要資訊之機密性及完整性。"),  # 六(一)2(5)
        ("若機關依商工業務法規授權其他單位", "所有使用軌跡納入本司系統留存機制紀錄備查。"),  # 六(一)3
        ("機關內部應自行查核，範圍", "所有使用單位及使用者。"),  # 六(四)1
        ("業務系統使用單位應指派查核人員", "則自行依機關資安規定施作。"),  # 六(四)2(1)
        ("查核結果若有缺漏", "依第(六)點辦理。"),  # 六(四)2(2)
        ("使用商工資料之業務系統，建議標註", "等或相同意義之提示文字。"),  # 六(五)
        ("使用商工資料之機關應妥善保管", "並應依下列規定究責："),  # 六(六)
        ("使用單位或使用者不當使用或洩漏", "其他相關業務法令之規定負完全責任。"),  # 六(六)1
        ("違反個人資料保護法之規定", "應負相關之法律責任。"),  # 六(六)2
        ("使用者不當使用商工資料之行政責任", "移送司法機關處理。"),  # 六(六)3
        ("若發生資料外洩或相關資安事件", "應立即通知資料提供機關。"),  # 六(六)4
    ],
    "security-test": [
        ("為保護商工資料傳輸作業資訊", "以確保重要資訊之機密性及完整性。"),  # 六(一)2(5)
    ],
    "annex3-requirements": [
        ("傳輸作業應啟動各項安全防護機制", "TLS 加密等方式。"),  # 六(一)2(3)
        ("為保護商工資料傳輸作業資訊", "以確保重要資訊之機密性及完整性。"),  # 六(一)2(5)
        ("業務系統使用單位應指派查核人員", "則自行依機關資安規定施作。"),  # 六(四)2(1)
        ("查核結果若有缺漏", "依第(六)點辦理。"),  # 六(四)2(2)
        ("使用單位或使用者不當使用或洩漏", "其他相關業務法令之規定負完全責任"),  # 六(六)1, its condition kept
        ("使用者不當使用商工資料之行政責任", "移送司法機關處理。"),  # 六(六)3
        ("機關內部應自行查核，範圍", "所有使用單位及使用者。"),  # 六(四)1
    ],
}


@pytest.mark.parametrize("form_id", sorted(WHOLE_QUOTATIONS))
def test_every_clause_a_form_quotes_is_quoted_whole(form_id):
    """A quotation that drops the regulation's exceptions (例如, 惟若…, 如機關已備…) or conditions
    (致當事人權益受損，發生爭議、訴訟時) fails here: each clause the form quotes is the regulation's
    whole sentence, only the parties named."""
    printed = canon("".join(filled_lines(form_id, load_example(form_id))))
    shortened = [start for start, end in WHOLE_QUOTATIONS[form_id]
                 if not quotation_pattern(regulation_sentence(start, end)).search(printed)]
    assert shortened == []


def test_a_shortened_quotation_is_caught():
    whole = quotation_pattern(regulation_sentence("機關針對取得商工資料之使用單位應訂定資料安全使用規範",
                                                  "即以現行資料提供佐證備查。"))
    printed = canon("".join(filled_lines("annex2-agreement", load_example("annex2-agreement"))))
    assert whole.search(printed)
    assert not whole.search(printed.replace(canon("惟若本單位已有現行之資通安全查核紀錄符合上述要求，"), ""))
    assert not whole.search(printed.replace("例如", ""))
