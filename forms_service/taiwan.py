"""Taiwan-specific values: 民國 dates, 統一編號, 身分證／居留證號, 文號.

Pure functions with no dependencies, so they can be tested exhaustively (``tests/test_taiwan.py``,
with the vectors of docs/forms.md and property-based tests).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

ROC_OFFSET = 1911
TAIPEI = ZoneInfo("Asia/Taipei")

_ROC_TEXT = re.compile(r"^(?:中華)?民國\s*(\d{1,3})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
_ROC_SEPARATED = re.compile(r"^(\d{1,3})([/.\-])(\d{1,2})\2(\d{1,2})$")
_ROC_COMPACT = re.compile(r"^(\d{2,3})(\d{2})(\d{2})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class InvalidValue(ValueError):
    """A value that is not what its field needs; the message is a sentence for the user."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


def parse_date(text: str | date) -> date:
    """A date from ISO ``2026-11-27`` or any accepted 民國 spelling (``115/11/27``, ``115.11.27``,
    ``1151127``, ``民國115年11月27日``, ``中華民國115年11月27日``)."""
    if isinstance(text, date):
        return text
    if not isinstance(text, str):
        raise InvalidValue("a date must be a string like 2026-11-27 or 115/11/27")
    s = text.strip()
    if m := _ISO.match(s):
        return _make_date(int(m[1]), int(m[2]), int(m[3]), s)
    for pattern, groups in ((_ROC_TEXT, (1, 2, 3)), (_ROC_SEPARATED, (1, 3, 4)), (_ROC_COMPACT, (1, 2, 3))):
        if m := pattern.match(s):
            y, mo, d = (int(m[g]) for g in groups)
            if y < 1:
                raise InvalidValue(f"{text!r}: the 民國 year must be 1 or later")
            return _make_date(y + ROC_OFFSET, mo, d, s)
    raise InvalidValue(
        f"{text!r} is not a date: use 2026-11-27, 115/11/27, 115.11.27, 1151127 or 民國115年11月27日"
    )


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
            raise InvalidValue(f"{name}: {err}", field=name) from None
        bounds.append(datetime(day.year, day.month, day.day, tzinfo=TAIPEI) + timedelta(days=shift))
    return bounds[0], bounds[1]


def _make_date(year: int, month: int, day: int, original: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as err:
        raise InvalidValue(f"{original!r} is not a calendar date ({err})") from err


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
    if not re.fullmatch(r"\d{8}", value or ""):
        return False
    total = 0
    for digit, weight in zip(value, _UBN_WEIGHTS, strict=True):
        product = int(digit) * weight
        total += product // 10 + product % 10
    if total % 5 == 0:
        return True
    return value[6] == "7" and (total + 1) % 5 == 0


def check_ubn(value: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"\d{8}", value):
        raise InvalidValue("統一編號 must be exactly 8 digits")
    if not is_valid_ubn(value):
        raise InvalidValue(f"{value} is not a valid 統一編號 (check digit)")
    return value


# --- 身分證／居留證號 ---------------------------------------------------------------------------

_LETTER_CODES = dict(zip(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    (10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33),
    strict=True,
))


def is_valid_person_id(value: str) -> bool:
    """National ID (A123456789), new resident (A800000014) or old resident (AB12345678) number."""
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z][A-D0-9]\d{8}", value):
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

# 9 digits and a check character (379000000A), or 10 digits.
AGENCY_CODE = r"\d{9}[A-Z0-9]|\d{10}"


def is_valid_agency_code(value: str) -> bool:
    """An agency's 機關代碼 — the only thing that identifies an agency to the service (names are free text)."""
    return isinstance(value, str) and re.fullmatch(AGENCY_CODE, value) is not None


# --- 文號 --------------------------------------------------------------------------------------

DOC_NUMBER = re.compile(r"^(?:\(\d{2,3}\))?[\u4e00-\u9fff]{1,8}字第\s?\d{10,11}[A-Z]?\s?號$")


def is_valid_doc_number(value: str) -> bool:
    return bool(DOC_NUMBER.match(value or ""))
