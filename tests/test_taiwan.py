"""Taiwan values: 民國 dates, 統一編號, 身分證, 文號 — vectors from docs/forms.md and properties."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from forms_service import taiwan


@pytest.mark.parametrize("text", [
    "2026-11-27", "115/11/27", "115.11.27", "1151127", "民國115年11月27日", "中華民國115年11月27日",
    "115-11-27", " 115/11/27 ",
])
def test_every_accepted_spelling_parses_to_the_same_date(text):
    assert taiwan.parse_date(text) == date(2026, 11, 27)


def test_roc_leap_day_exists_only_in_leap_years():
    assert taiwan.parse_date("民國113年2月29日") == date(2024, 2, 29)
    with pytest.raises(taiwan.InvalidValue, match="這一天不存在"):
        taiwan.parse_date("民國112年2月29日")


@pytest.mark.parametrize("text", ["0/01/01", "民國0年1月1日", "115/13/01", "abc", "", "115/11", "2026-11-27T10:00"])
def test_impossible_or_malformed_dates_are_refused_with_a_sentence(text):
    with pytest.raises(taiwan.InvalidValue):
        taiwan.parse_date(text)


def test_dates_print_in_the_two_official_forms():
    d = date(2026, 1, 5)
    assert taiwan.format_roc_long(d) == "中華民國115年1月5日"
    assert taiwan.format_roc_short(d) == "115/01/05"


@given(st.dates(min_value=date(1912, 1, 1), max_value=date(2200, 12, 31)))
def test_printed_roc_dates_parse_back_to_the_same_day(d):
    assert taiwan.parse_date(taiwan.format_roc_long(d)) == d
    assert taiwan.parse_date(taiwan.format_roc_short(d)) == d


@pytest.mark.parametrize("ubn", ["22099131", "53212539", "12345675", "04595257", "04595252", "12345670"])
def test_valid_unified_business_numbers(ubn):
    assert taiwan.is_valid_ubn(ubn)


@pytest.mark.parametrize("ubn", ["12345678", "1234567", "2209913A", ""])
def test_invalid_unified_business_numbers(ubn):
    assert not taiwan.is_valid_ubn(ubn)


@given(st.from_regex(r"[0-9]{7}", fullmatch=True))
def test_every_seven_digit_prefix_has_a_valid_check_digit(prefix):
    assert any(taiwan.is_valid_ubn(prefix + str(d)) for d in range(10))


@pytest.mark.parametrize("pid,ok", [
    ("A123456789", True), ("B123456780", True), ("A800000014", True), ("A123456788", False),
    ("a123456789", False), ("A323456789", False),
])
def test_person_ids(pid, ok):
    assert taiwan.is_valid_person_id(pid) is ok


@pytest.mark.parametrize("number,ok", [
    ("經商字第10902435080號", True), ("貿資字第1061250183B號", True), ("(112)北市地登字第1126002154號", True),
    ("經商字第123號", False), ("字第10902435080號", False),
])
def test_document_numbers(number, ok):
    assert taiwan.is_valid_doc_number(number) is ok


# --- as people type them ------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "114年1月2日", "民國114年1月2日", "民國一一四年一月二日", "中華民國一百十四年一月二日",
    "中華民國一百一十四年一月二日",
    "2025-1-2", "2025/01/02", "１１４／０１／０２", "１１４年１月２日", "２０２５－０１－０２", "1140102",
])
def test_the_spellings_people_write_parse_to_the_same_date(text):
    assert taiwan.parse_date(text) == date(2025, 1, 2)


@pytest.mark.parametrize("text", [
    "民國一二三四年一月一日", "一十十年一月一日", "民國百百年一月一日", "114年13月1日", "民國〇年一月一日",
    "民國一一四年二月三十日", "民國ABC年一月一日",
])
def test_malformed_spellings_are_refused_with_a_sentence(text):
    with pytest.raises(taiwan.InvalidValue):
        taiwan.parse_date(text)


_DIGITS = "〇一二三四五六七八九"
_FULL_WIDTH = str.maketrans("0123456789/-()ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                            "０１２３４５６７８９／－（）ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")


def digit_by_digit(n: int) -> str:
    return "".join(_DIGITS[int(c)] for c in str(n))


def positional(n: int) -> str:
    """114 → 一百一十四, 104 → 一百零四, 20 → 二十, 12 → 十二: how the long form writes numbers."""
    hundreds, tens, ones = n // 100, n // 10 % 10, n % 10
    text = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        text += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        text += "零"
    return text + (_DIGITS[ones] if ones else "")


@given(st.dates(min_value=date(1912, 1, 1), max_value=date(2910, 12, 31)))
def test_every_spelling_of_a_date_round_trips(d):
    y, m, day = d.year - 1911, d.month, d.day
    spellings = [
        f"民國{digit_by_digit(y)}年{digit_by_digit(m)}月{digit_by_digit(day)}日",
        f"中華民國{positional(y)}年{positional(m)}月{positional(day)}日",
        f"{y}年{m}月{day}日",
        f"{d.year}-{m}-{day}",
        taiwan.format_roc_short(d).translate(_FULL_WIDTH),
        taiwan.format_roc_long(d).translate(_FULL_WIDTH),
    ]
    for text in spellings:
        assert taiwan.parse_date(text) == d, text


@given(st.integers(0, 999))
def test_chinese_numerals_read_back(n):
    assert taiwan.chinese_number(digit_by_digit(n)) == n
    if n:
        assert taiwan.chinese_number(positional(n)) == n


@given(st.from_regex(r"[0-9]{7}", fullmatch=True))
def test_a_full_width_unified_business_number_is_stored_in_ascii(prefix):
    ubn = next(prefix + str(d) for d in range(10) if taiwan.is_valid_ubn(prefix + str(d)))
    assert taiwan.check_ubn(ubn.translate(_FULL_WIDTH)) == ubn
    assert taiwan.check_ubn(f" {ubn} ") == ubn


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ()/-", min_size=1, max_size=20))
def test_normalising_full_width_gives_back_the_ascii(text):
    assert taiwan.normalize(text.translate(_FULL_WIDTH)) == text


@pytest.mark.parametrize("code,ok", [
    ("A15000000E", True), ("A21000000I", True), ("379000000A", True), ("315000000H", True), ("3150000000", True),
    ("A1500000E", False), ("AA5000000E", False), ("A150000001", False), ("379000000", False), ("", False),
])
def test_agency_codes_have_the_shapes_of_the_code_table(code, ok):
    assert taiwan.is_valid_agency_code(code) is ok


def test_agency_codes_are_taken_as_typed():
    assert taiwan.normalize_agency_code(" ａ１５００００００ｅ ") == "A15000000E"


@pytest.mark.parametrize("number", [
    "（112）北市地登字第1126002154號", "(112)北市地登字第１１２６００２１５４號", "府授人字第096123456號",
    "經商字第095123456號",
])
def test_document_numbers_as_people_write_them(number):
    assert taiwan.is_valid_doc_number(number)


@pytest.mark.parametrize("value", ["٢٢٠٩٩١٣١", "२२०९९१३१"])  # Arabic-Indic, Devanagari: NFKC keeps them
def test_digits_of_other_scripts_are_not_taken_for_a_unified_business_number(value):
    assert not taiwan.is_valid_ubn(value)
    with pytest.raises(taiwan.InvalidValue):
        taiwan.check_ubn(value)


@pytest.mark.parametrize(("typed", "stored"), [
    ("Ａ１２３４５６７８９", "A123456789"), ("a123456789", "A123456789"), (" a８００００００１４ ", "A800000014"),
])
def test_person_ids_as_people_type_them_are_stored_in_their_normal_form(typed, stored):
    assert taiwan.check_person_id(typed) == stored


@pytest.mark.parametrize("typed", ["A123456788", "Ａ１２３４５６７８", "A12345678９0"])
def test_a_wrong_person_id_says_so(typed):
    with pytest.raises(taiwan.InvalidValue, match="身分證"):
        taiwan.check_person_id(typed)


@pytest.mark.parametrize("day, count, expected", [
    (date(2026, 2, 24), 5, date(2026, 2, 10)),  # back across 春節 (2/14–2/22 off, observed days included)
    (date(2026, 10, 13), 5, date(2026, 10, 5)),  # across 國慶日, observed on Friday 10/9
    (date(2027, 2, 11), 1, date(2027, 2, 3)),  # 2027's 春節: 2/4 to 2/10 off
    (date(2026, 12, 7), 5, date(2026, 11, 30)),  # an ordinary week: Monday back to Monday
])
def test_working_days_are_counted_on_the_government_calendar(day, count, expected):
    from forms_service.taiwan import working_days_before

    assert working_days_before(day, count) == expected


def test_a_make_up_working_day_counts():
    from forms_service.taiwan import working_days_before

    # Were Saturday 2026-02-14 a make-up working day (補行上班), it would be the day before 2/16.
    assert working_days_before(date(2026, 2, 16), 1) == date(2026, 2, 13)
    assert working_days_before(date(2026, 2, 16), 1, (date(2026, 2, 14),)) == date(2026, 2, 14)
