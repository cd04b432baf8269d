"""Each of the six documents renders from its example to a signed PDF/A whose text holds every
input value, with TW-Kai embedded; page 1 matches a stored reference image within a tolerance,
so a layout regression (or a LibreOffice upgrade that moves things) is caught.

Regenerate the references after an intended layout change:  UPDATE_GOLDEN=1 ./dev test tests/test_all_forms_pdf.py
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
from pathlib import Path

import pytest

from forms_service.produce.template_check import printed_values
from signing import verify_pdf
from tests.conftest import load_example, pdffonts, pdftotext, signed_form, squeeze

GOLDEN = Path(__file__).parent / "golden"
FORM_IDS = ["annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements",
            "annex4-audit-checklist", "annex5-query-log", "purge-record", "incident-report",
            "security-test"]
@pytest.fixture(scope="module")
def produced(components):
    return {form_id: signed_form(components, form_id, load_example(form_id)) for form_id in FORM_IDS}


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_the_pdf_text_holds_every_input_value(produced, form_id):
    text = squeeze(pdftotext(produced[form_id].pdf))
    missing = [path for path, v in printed_values(load_example(form_id)) if squeeze(v) not in text]
    assert missing == []


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_signed_pdfa_with_every_font_embedded_and_tw_kai(produced, form_id, tmp_path, components):
    pdf = produced[form_id].pdf
    assert b'pdfaid:part="2"' in pdf
    path = tmp_path / "f.pdf"
    path.write_bytes(pdf)
    fonts = pdffonts(path)
    assert all(f["emb"] == "yes" for f in fonts) and any("TW-Kai" in f["name"] for f in fonts)
    verification = verify_pdf(pdf, components.trust_roots)
    assert verification.ok, verification.problems
    assert verification.signatures[0].level == "B-LTA"  # the demo default: a TSA is configured


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_the_pdf_prints_the_regulations_wording(produced, form_id):
    from tests.test_form_content import QUOTES, canon

    # A quotation may run over a page break: the page's footer is not part of it.
    text = canon(re.sub(r"第 \d+ 頁／共 \d+ 頁\s*\f", "", pdftotext(produced[form_id].pdf)))
    assert [q for q in QUOTES[form_id] if canon(q) not in text] == []


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_no_page_holds_nothing_but_its_number(components, form_id):
    """A document ends where its content ends — also with the record it rests on described, a line
    or two longer than its bare 紀錄編號 — never on a page that is blank but for its footer."""
    from forms_service.forms import get_form
    from forms_service.forms.signatures import signing_order

    spec = get_form(form_id)
    data = {**load_example(form_id), "related_record": "rec_" + "1" * 32}
    form = spec.validate(data)
    described = "附件1 商工e網通異動資料介接申請單（臺北市政府財政局），中華民國115年12月6日歸檔"
    produced = components.producer.produce_validated(spec, form, blocks=signing_order(form_id), related=described)
    pages = pdftotext(produced.pdf).split("\f")[:-1]
    blank = [n for n, text in enumerate(pages, 1) if not re.sub(r"第\s*\d+\s*頁／共\s*\d+\s*頁", "", text).strip()]
    assert blank == [], f"{form_id}: pages {blank} of {len(pages)} are blank"


def test_titles_of_annexes_3_to_5_carry_the_real_unit_names(produced):
    annex3 = squeeze(pdftotext(produced["annex3-requirements"].pdf))
    assert "臺北市政府財政局對臺北市稅捐稽徵處使用商工資料作業要求" in annex3
    annex4 = squeeze(pdftotext(produced["annex4-audit-checklist"].pdf))
    assert "臺北市稅捐稽徵處使用商工資料資通安全查核紀錄表" in annex4
    assert "臺北市稅捐稽徵處商工登記資料查詢紀錄登記表" in squeeze(pdftotext(produced["annex5-query-log"].pdf))


def test_choices_print_as_ticked_and_empty_boxes(produced):
    text = squeeze(pdftotext(produced["annex1-interface"].pdf))
    assert "☑新申請" in text and "☐變更" in text and "☑是" in text and "☐否" in text and "☑1.3" in text


def test_the_system_notice_of_the_regulation_is_generated(produced):
    text = squeeze(pdftotext(produced["annex3-requirements"].pdf))
    assert ("商工資料係為稅捐稽徵業務之營業登記資料查核目的蒐集，僅供稅務資料整合查詢系統作業之參考；"
            "若有資料內容疑問時，可向登記主管機關洽詢。") in text


def _page1_gray(pdf: bytes, tmp_path: Path) -> tuple[int, int, bytes]:
    src = tmp_path / "g.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(src),
                    str(tmp_path / "g")],
                   check=True)
    return _read_pgm((tmp_path / "g.pgm").read_bytes())


def _read_pgm(data: bytes) -> tuple[int, int, bytes]:
    fields, rest = data.split(maxsplit=4)[:4], data.split(maxsplit=4)[4]
    assert fields[0] == b"P5" and fields[3] == b"255"
    width, height = int(fields[1]), int(fields[2])
    return width, height, rest[: width * height]


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_page_one_matches_its_reference_image(produced, form_id, tmp_path):
    width, height, pixels = _page1_gray(produced[form_id].pdf, tmp_path)
    reference = GOLDEN / f"{form_id}.pgm.gz"
    if os.environ.get("UPDATE_GOLDEN"):
        reference.write_bytes(gzip.compress(f"P5 {width} {height} 255\n".encode() + pixels, mtime=0))
    ref_width, ref_height, ref_pixels = _read_pgm(gzip.decompress(reference.read_bytes()))
    assert (width, height) == (ref_width, ref_height)
    # Tolerance: anti-aliasing and font hinting may move a few pixels; a moved line or a changed
    # font moves thousands.
    changed = sum(1 for a, b in zip(pixels, ref_pixels, strict=True) if abs(a - b) > 96)
    assert changed / len(pixels) < 0.004, f"{changed} of {len(pixels)} pixels differ from the reference"


def test_a_register_prints_its_sentences_readable_and_keeps_each_row_on_one_page(components, tmp_path):
    """A month whose 查調者說明 and 備註 carry sentences: those columns are wide enough to read (a line
    of each holds many characters, not one or two), and no query's row is cut across two pages."""
    data = load_example("annex5-query-log")
    for i, entry in enumerate(data["entries"]):
        entry["explanation"] = "此筆查詢係因民眾陳情案件需核對營業登記資料，已於當日簽報主管核准，並附陳情函影本備查。"
        entry["note"] = "經查核人員確認為業務所需" if i % 2 else "夜間查詢"
    path = tmp_path / "register.pdf"
    path.write_bytes(signed_form(components, "annex5-query-log", data).pdf)
    subprocess.run(["pdftotext", "-bbox-layout", str(path), str(tmp_path / "boxes.html")], check=True)
    pages = (tmp_path / "boxes.html").read_text(encoding="utf-8").split("<page ")[1:]
    lines = [re.sub(r"<[^>]+>|\s+", "", line) for page in pages for line in re.findall(r"<line.*?</line>", page, re.S)]
    assert min(len(line) for line in lines if line.startswith("經查核")) >= 7  # 備註: 7+ characters a line
    assert min(len(line) for line in lines if line.startswith("此筆查詢係因")) >= 12  # 查調者說明
    for page in pages:
        text = re.sub(r"<[^>]+>|\s+", "", page)
        assert text.count("此筆查詢係因") == text.count("備查。")  # every row begun on a page ends there
