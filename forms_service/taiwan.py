"""Taiwan-specific values: 民國 dates, 統一編號, 身分證／居留證號, 機關代碼, 文號; accounts as compared.

Pure functions with no dependencies, so they can be tested exhaustively (``tests/test_taiwan.py``,
with the vectors of docs/forms.md and property-based tests).

Digits are ASCII digits (``[0-9]``, not ``\\d``, which also matches Arabic-Indic and other
digits).  Values are taken as people type them: identifiers and dates are NFKC-normalised first (full-width
｢２２０９９１３１｣ and ｢（112）｣ become 22099131 and (112)), and 民國 dates may be written with
Chinese numerals.  Names are never normalised (NFKC would change CJK compatibility ideographs).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from .messages import sentence

ROC_OFFSET = 1911
TAIPEI = ZoneInfo("Asia/Taipei")

_ROC_TEXT = re.compile(r"^(?:(?:中華)?民國)?\s*([0-9]{1,3})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日$")
_ROC_SEPARATED = re.compile(r"^([0-9]{1,3})([/.\-])([0-9]{1,2})\2([0-9]{1,2})$")
_ROC_COMPACT = re.compile(r"^([0-9]{2,3})([0-9]{2})([0-9]{2})$")
_GREGORIAN = re.compile(r"^([0-9]{4})([/\-])([0-9]{1,2})\2([0-9]{1,2})$")
_NUMERALS = "〇○零一二三四五六七八九十百廿卅"
_ROC_CHINESE = re.compile(
    rf"^(?:(?:中華)?民國)?\s*([{_NUMERALS}]+)\s*年\s*([{_NUMERALS}]+)\s*月\s*([{_NUMERALS}]+)\s*日$")
_DIGIT_VALUES = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
                 "九": 9}


def normalize(text: str) -> str:
    """An identifier or date as typed, in its normal form: NFKC (full-width digits, letters and
    brackets become ASCII), surrounding space removed."""
    return unicodedata.normalize("NFKC", text).strip()


def account_key(account: str) -> str:
    """An account (a business system's, a user name) as it is compared: NFKC, trimmed and case-folded,
    so ``TP-Carol``, ``tp-carol`` and full-width ｢ＴＰ－ｃａｒｏｌ｣ are one person.  Never used for
    names (NFKC would change CJK compatibility ideographs)."""
    return unicodedata.normalize("NFKC", account or "").strip().casefold()


def chinese_number(text: str) -> int:
    """一一四 or 一百一十四 or 一百十四 → 114; 二十 → 20; 廿三 → 23; 〇 → 0.  ``ValueError`` otherwise.

    Written digit by digit (一一四, as on many forms) or with 十 and 百 (一百十四)."""
    if text and all(c in _DIGIT_VALUES for c in text):
        return int("".join(str(_DIGIT_VALUES[c]) for c in text))
    total, current, last_unit = 0, None, 1000
    for char in text:
        if char in _DIGIT_VALUES:
            if current is not None and _DIGIT_VALUES[char] and char not in "〇○零":
                raise ValueError(f"{text!r}: two digits in a row without 十 or 百")
            current = _DIGIT_VALUES[char] or None
        elif char in "十百廿卅":
            unit = {"十": 10, "百": 100, "廿": 20, "卅": 30}[char]
            step = 10 if unit in (20, 30) else unit
            if step >= last_unit:
                raise ValueError(f"{text!r}: 十 and 百 out of order")
            total += unit if char in "廿卅" else (current or 1) * unit
            current, last_unit = None, step
        else:
            raise ValueError(f"{text!r} is not a number in Chinese numerals")
    return total + (current or 0)


class InvalidValue(ValueError):
    """A value that is not what its field needs: ``code`` names the rule, the message is the
    catalogue's sentence for it (``messages``), for the person who typed it."""

    def __init__(self, message: str, *, field: str = "", code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.code = code

    @classmethod
    def of(cls, code: str, *, field: str = "", **params: Any) -> InvalidValue:
        return cls(sentence(code, **params), field=field, code=code)


def parse_date(text: str | date) -> date:
    """A date from ISO ``2026-11-27`` (or ``2026-1-5``, ``2026/1/5``) or any accepted 民國 spelling:
    ``115/11/27``, ``115.11.27``, ``115-11-27``, ``1151127``, ``115年11月27日``, ``民國115年11月27日``,
    ``中華民國115年11月27日``, with Chinese numerals ``民國一一五年十一月二十七日`` or
    ``中華民國一百十五年十一月二十七日``, and in full-width digits."""
    if isinstance(text, date):
        return text
    if not isinstance(text, str):
        raise InvalidValue.of("date_type")
    s = normalize(text)
    if m := _GREGORIAN.match(s):
        return _make_date(int(m[1]), int(m[3]), int(m[4]), s)
    parts: tuple[int, int, int] | None = None
    for pattern, groups in ((_ROC_TEXT, (1, 2, 3)), (_ROC_SEPARATED, (1, 3, 4)), (_ROC_COMPACT, (1, 2, 3))):
        if m := pattern.match(s):
            parts = (int(m[groups[0]]), int(m[groups[1]]), int(m[groups[2]]))
            break
    else:
        if m := _ROC_CHINESE.match(s):
            try:
                parts = (chinese_number(m[1]), chinese_number(m[2]), chinese_number(m[3]))
            except ValueError:
                raise InvalidValue.of("date_format", value=text) from None
    if parts is None:
        raise InvalidValue.of("date_format", value=text)
    year, month, day = parts
    if not 1 <= year <= 999:
        raise InvalidValue.of("date_year_range", value=text)
    return _make_date(year + ROC_OFFSET, month, day, s)


def parse_month(text: str) -> str:
    """``2026-11`` or 民國 ``115/11``, ``115年11月`` (full-width too) → ``2026-11``; else ``InvalidValue``."""
    s = normalize(text)
    if m := re.fullmatch(r"([0-9]{4})-([0-9]{1,2})", s):
        year, month = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(?:中華)?(?:民國)?\s*([0-9]{1,3})\s*[/.年-]\s*([0-9]{1,2})\s*月?", s):
        year, month = int(m[1]) + ROC_OFFSET, int(m[2])
        if int(m[1]) < 1:
            raise InvalidValue.of("date_year_range", value=text)
    else:
        raise InvalidValue.of("month_format", value=text)
    if not 1 <= month <= 12:
        raise InvalidValue.of("month_range", value=text)
    return f"{year:04d}-{month:02d}"


def format_roc_month(month: str) -> str:
    """``2026-11`` → 115年11月 (as pages and documents print a month)."""
    year, mon = (int(x) for x in month.split("-"))
    return f"{year - ROC_OFFSET}年{mon}月"


def taipei_day_range(start: str | None, end: str | None, *, names: tuple[str, str] = ("from", "to")
                     ) -> tuple[datetime | None, datetime | None]:
    """Two optional dates as instants: from the first day's 00:00 to the day after the last, in Taipei
    (the end is exclusive).  A bad date raises ``InvalidValue`` whose ``field`` is its name."""
    bounds: list[datetime | None] = []
    for text, name, shift in ((start, names[0], 0), (end, names[1], 1)):
        if not text:
            bounds.append(None)
            continue
        try:
            day = parse_date(text)
        except InvalidValue as err:
            raise InvalidValue(f"{name}：{err}", field=name, code=err.code) from None
        bounds.append(datetime(day.year, day.month, day.day, tzinfo=TAIPEI) + timedelta(days=shift))
    return bounds[0], bounds[1]


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as err:
        raise InvalidValue.of("date_not_in_calendar", value=original) from err


def roc_year(d: date) -> int:
    return d.year - ROC_OFFSET


def format_roc_long(d: date) -> str:
    """中華民國115年11月27日 — how dates are printed on the forms."""
    return f"中華民國{roc_year(d)}年{d.month}月{d.day}日"


def format_roc_short(d: date) -> str:
    """115/11/27 — how dates are printed in tables."""
    return f"{roc_year(d)}/{d.month:02d}/{d.day:02d}"


# --- 統一編號 -------------------------------------------------------------------------------

_UBN_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)


def is_valid_ubn(value: str) -> bool:
    """統一編號 check (divisor 5, valid since 民國112年4月1日; it accepts every older number)."""
    if not re.fullmatch(r"[0-9]{8}", value or ""):
        return False
    total = 0
    for digit, weight in zip(value, _UBN_WEIGHTS, strict=True):
        product = int(digit) * weight
        total += product // 10 + product % 10
    if total % 5 == 0:
        return True
    return value[6] == "7" and (total + 1) % 5 == 0


def check_ubn(value: str) -> str:
    """The 統一編號 in its normal form (full-width digits accepted), or ``InvalidValue``."""
    if isinstance(value, str):
        value = normalize(value)
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{8}", value):
        raise InvalidValue.of("ubn_digits")
    if not is_valid_ubn(value):
        raise InvalidValue.of("ubn_check_digit", value=value)
    return value


# --- 身分證／居留證號 ---------------------------------------------------------------------------

_LETTER_CODES = dict(zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    (10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33),
    strict=True,
))


def normalize_person_id(value: str) -> str:
    """As typed (full-width, lower case) → ``A123456789``."""
    return normalize(value).upper()


def check_person_id(value: str) -> str:
    """The normal form of a valid 身分證／居留證號, or ``InvalidValue`` saying why not."""
    text = normalize_person_id(value)
    if not is_valid_person_id(text):
        raise InvalidValue.of("person_id", value=value)
    return text


def is_valid_person_id(value: str) -> bool:
    """National ID (A123456789), new resident (A800000014) or old resident (AB12345678) number, as stored
    (``check_person_id`` takes it as typed)."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z][A-D0-9][0-9]{8}", value):
        return False
    second = value[1]
    if second.isdigit():
        if second not in "1289":
            return False
        d2 = int(second)
    else:
        d2 = _LETTER_CODES[second] % 10
    code = _LETTER_CODES[value[0]]
    digits = [d2] + [int(c) for c in value[2:]]
    total = (code // 10) + (code % 10) * 9
    total += sum(d * w for d, w in zip(digits, (8, 7, 6, 5, 4, 3, 2, 1, 1), strict=True))
    return total % 10 == 0


# --- 機關代碼 ------------------------------------------------------------------------------------

# The 10-character 機關代碼 of the government's agency code table (行政院人事行政總處's 機關代碼, as
# the government OID registry https://oid.nat.gov.tw/ lists them): a letter for central government
# agencies (A21000000I 衛生福利部, A15000000E 經濟部) or a digit for local ones (379000000A), eight
# digits for the levels below, and a check letter.  Codes of 9 digits and a check character, or of
# 10 digits, were accepted before and still are.
AGENCY_CODE = r"[A-Z][0-9]{8}[A-Z]|[0-9]{9}[A-Z0-9]|[0-9]{10}"


def normalize_agency_code(value: str) -> str:
    """As typed (full-width, lower case) → the table's form: ``ａ１５０００００００ｅ`` → ``A15000000E``."""
    return normalize(value).upper()


def is_valid_agency_code(value: str) -> bool:
    """An agency's 機關代碼 — the only thing that identifies an agency to the service (names are free text)."""
    return isinstance(value, str) and re.fullmatch(AGENCY_CODE, value) is not None


# --- 文號 --------------------------------------------------------------------------------------

# 文號: an optional (year) prefix, the issuing office's 字, and a number — 10 or 11 digits since
# 民國 96, 9 in older letters — with an optional letter: 經商字第10902435080號, （112）北市地登字第1126002154號.
DOC_NUMBER = re.compile(r"^(?:\([0-9]{2,3}\))?[\u4e00-\u9fff]{1,8}字第\s?[0-9]{9,11}[A-Z]?\s?號$")


def normalize_doc_number(value: str) -> str:
    """Full-width brackets and digits as ASCII: ``（112）北市地登字第１１２６００２１５４號`` → ``(112)北市…``."""
    return normalize(value)


def is_valid_doc_number(value: str) -> bool:
    return bool(DOC_NUMBER.match(normalize_doc_number(value or "")))


# --- working days (the government calendar) ----------------------------------------------------

@lru_cache(maxsize=32)
def _days_off(year: int) -> frozenset[date]:
    """National and government holidays of ``year`` in Taiwan (observed days included), from the
    ``holidays`` package's Taiwan calendar."""
    import holidays
    from holidays.constants import GOVERNMENT, PUBLIC

    return frozenset(holidays.country_holidays("TW", years=year, categories=(PUBLIC, GOVERNMENT)))


# The make-up working days (補行上班) the holiday calendar lacks, as the service's settings name them
# (FORMS_QUERY_LOG_EXTRA_WORKING_DAYS): one calendar for every duty that counts working days.
_MAKE_UP_DAYS: tuple[date, ...] = ()


def use_make_up_working_days(days: tuple[date, ...]) -> None:
    """The make-up working days every working-day count of this process knows (set from the settings)."""
    global _MAKE_UP_DAYS
    _MAKE_UP_DAYS = tuple(days)


def is_working_day(day: date, extra_working_days: tuple[date, ...] = ()) -> bool:
    """A day 公務機關 work: a weekday that is no holiday, or a make-up working day (補行上班) named in
    ``extra_working_days`` or in the settings (the calendar does not list those)."""
    if day in extra_working_days or day in _MAKE_UP_DAYS:
        return True
    return day.weekday() < 5 and day not in _days_off(day.year)


def working_days_before(day: date, count: int, extra_working_days: tuple[date, ...] = ()) -> date:
    """The ``count``-th working day before ``day`` (七(四)2: answers are due 5 working days before
    the audit): 5 working days before Tuesday 2026-02-24, across 春節, is Tuesday 2026-02-10."""
    found = day
    for _ in range(count):
        found -= timedelta(days=1)
        while not is_working_day(found, extra_working_days):
            found -= timedelta(days=1)
    return found


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day (1/31 + 1 month = 2/28)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)
