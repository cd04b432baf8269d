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
    with pytest.raises(taiwan.InvalidValue, match="not a calendar date"):
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


@given(st.from_regex(r"\d{7}", fullmatch=True))
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
