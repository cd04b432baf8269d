"""Field types shared by every form: text that cannot break the layout, dates, agencies, people.

Text is cleaned at validation, so the stored JSON, the printed form and the catalog all hold the
same value: control characters (which corrupt .docx output even when escaped) are removed, and a
one-line field folds line breaks into spaces — only multi-line fields (``Text``) keep ``\\n``,
printed as a line break.  Nothing can insert a paragraph or page break.  Unicode in text is *not*
normalised: NFC would turn CJK compatibility ideographs in names into other characters.  Identifiers,
numbers and dates are (NFKC, ``taiwan.normalize``): ２２０９９１３１ is stored as 22099131.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from .. import taiwan
from ..messages import refusal

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029\x85]+")


def clean_one_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return _LINE_BREAKS.sub(" ", _CONTROL.sub("", value)).strip()


def clean_multi_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = _CONTROL.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n").replace("\x85", "\n")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _normal(value: Any) -> Any:
    """An identifier as typed, in its normal form (NFKC: full-width digits and brackets → ASCII)."""
    return taiwan.normalize(clean_one_line(value)) if isinstance(value, str) else value


def _agency_code(value: Any) -> Any:
    return taiwan.normalize_agency_code(clean_one_line(value)) if isinstance(value, str) else value


def _doc_number(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = taiwan.normalize_doc_number(clean_one_line(value))
    if not taiwan.is_valid_doc_number(text):
        raise refusal("doc_number", value=value)
    return text


def _parse_date(value: Any) -> date:
    try:
        return taiwan.parse_date(value)
    except taiwan.InvalidValue as err:
        raise PydanticCustomError(err.code, str(err)) from err


def _matching(code: str, pattern: str, prepare: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A validator: the value prepared, refused under ``code`` (the catalogue's sentence, the value
    typed in it) unless it matches ``pattern`` — a format said in words, not as a regex."""
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        value = prepare(value)
        if isinstance(value, str) and not compiled.fullmatch(value):
            raise refusal(code, value=value)
        return value

    return check


OneLine = Annotated[str, BeforeValidator(clean_one_line), StringConstraints(min_length=1, max_length=300)]
OptionalLine = Annotated[str, BeforeValidator(clean_one_line), StringConstraints(max_length=300)]
Text = Annotated[str, BeforeValidator(clean_multi_line), StringConstraints(min_length=1, max_length=4000)]
OptionalText = Annotated[str, BeforeValidator(clean_multi_line), StringConstraints(max_length=4000)]

RocDate = Annotated[
    date,
    BeforeValidator(_parse_date),
    WithJsonSchema({
        "type": "string",
        "description": "ISO 2026-11-27 or 民國 115/11/27, 115.11.27, 1151127, 115年11月27日, 民國115年11月27日, "
                       "中華民國115年11月27日, 中華民國一百十五年十一月二十七日, "
                       "民國一一五年十一月二十七日 (full-width digits too)",
        "examples": ["2026-11-27", "115/11/27", "中華民國115年11月27日", "民國一一五年十一月二十七日"],
        "x-input": "roc-date",  # pages offer a date field that takes every spelling above
    }),
]

DocNumber = Annotated[
    str, BeforeValidator(_doc_number),
    WithJsonSchema({"type": "string", "description": "文號: (年)字第 9–11 位數字號 (full-width brackets too)",
                    "examples": ["經商字第10902435080號", "（112）北市地登字第1126002154號"]}),
]
# A record of this service another form refers to (the 附件1 of the same connection, …).
RecordRef = Annotated[str, BeforeValidator(_matching("record_ref", r"rec_[0-9a-f]{32}", _normal)),
                      WithJsonSchema({"type": "string", "pattern": "^rec_[0-9a-f]{32}$",
                                      "description": "紀錄編號 of an earlier record (rec_…)",
                                      "x-input": "record-ref"})]  # pages offer the agency's connections

AgencyCode = Annotated[str, BeforeValidator(_matching("agency_code", f"({taiwan.AGENCY_CODE})?", _agency_code)),
                       WithJsonSchema({"type": "string", "pattern": f"^({taiwan.AGENCY_CODE})?$"})]
Email = Annotated[
    str, BeforeValidator(_matching("email", r"([^@\s]+@[^@\s]+\.[^@\s]+)?", clean_one_line)),
    StringConstraints(max_length=254),
    WithJsonSchema({"type": "string", "maxLength": 254, "description": "電子郵件（name@example.gov.tw），可空白"}),
]
Phone = Annotated[str, BeforeValidator(_matching("phone", r"[0-9+()#\-\s轉分機ext.]*", _normal)),
                  StringConstraints(max_length=40),
                  WithJsonSchema({"type": "string", "pattern": r"^[0-9+()#\-\s轉分機ext.]*$", "maxLength": 40})]


class FormModel(BaseModel):
    """Base of every model: unknown fields are errors (a misspelt field must not vanish)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class Agency(FormModel):
    name: OneLine = Field(description="機關（單位）全銜")
    code: AgencyCode = Field("", description="機關代碼（10 碼）")
    address: OptionalLine = Field("", description="地址")


class Person(FormModel):
    name: OneLine = Field(description="姓名")
    title: OptionalLine = Field("", description="職稱")
    phone: Phone = Field("", description="電話")
    email: Email = Field("", description="電子郵件")
    account: OptionalLine = Field("", description="帳號")


class Period(FormModel):
    start: RocDate = Field(description="起日")
    end: RocDate = Field(description="迄日；不得早於起日")

    @field_validator("end")
    @classmethod
    def _end_not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise refusal("date_range_reversed", end=taiwan.format_roc_short(end),
                          start=taiwan.format_roc_short(start))
        return end


def _check_ubn(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return taiwan.check_ubn(value)  # normalised: ２２０９９１３１ is 22099131
        except taiwan.InvalidValue as err:
            raise PydanticCustomError(err.code, str(err)) from err
    return value


def _check_ip(value: Any) -> Any:
    """An IPv4/IPv6 address or CIDR network, normalised (``10.0.0.0/24``, ``2001:db8::/32``)."""
    if not isinstance(value, str):
        raise refusal("ip_address", value=value)
    text = taiwan.normalize(value)
    try:
        if "/" in text:
            return str(ipaddress.ip_network(text, strict=True))
        return str(ipaddress.ip_address(text))
    except ValueError as err:
        raise refusal("ip_address", value=value) from err


def _check_month(value: Any) -> Any:
    """``2026-11`` or 民國 ``115/11`` → ``2026-11``."""
    if not isinstance(value, str):
        raise refusal("month_format", value=value)
    try:
        return taiwan.parse_month(value)
    except taiwan.InvalidValue as err:
        raise PydanticCustomError(err.code, str(err)) from err


Ubn = Annotated[
    str, BeforeValidator(_check_ubn),
    WithJsonSchema({"type": "string", "pattern": r"^\d{8}$", "description": "統一編號（8 碼，含檢查碼）"}),
]

def _check_optional_ubn(value: Any) -> Any:
    if isinstance(value, str) and not taiwan.normalize(value):
        return ""
    return _check_ubn(value)


OptionalUbn = Annotated[
    str, BeforeValidator(_check_optional_ubn),
    WithJsonSchema({"type": "string", "pattern": r"^(\d{8})?$", "description": "統一編號（8 碼，含檢查碼；可空白）"}),
]
IpAddress = Annotated[
    str, BeforeValidator(_check_ip),
    WithJsonSchema({"type": "string", "description": "IPv4/IPv6 address or CIDR network",
                    "examples": ["192.0.2.10", "198.51.100.0/24"]}),
]
Month = Annotated[
    str, BeforeValidator(_check_month),
    WithJsonSchema({"type": "string", "description": "month: 2026-11 or 民國 115/11",
                    "examples": ["2026-11", "115/11"]}),
]


# 規範 六(一)2(3) asks for an IP restriction: a source narrower than an organisation's own network.
# Wider networks need a stated reason; "anywhere" is no restriction at all and is always refused.
WIDEST_IPV4_PREFIX = 24
WIDEST_IPV6_PREFIX = 48


def source_network_problem(value: str, *, justified: bool) -> tuple[str, dict[str, Any]] | None:
    """Why ``value`` (an address or CIDR network) is no IP restriction — the catalogue's code and its
    parameters — or ``None`` when it is one."""
    network = ipaddress.ip_network(value, strict=False)
    if network.prefixlen == 0:
        return "network_open", {"value": value}
    widest = WIDEST_IPV4_PREFIX if network.version == 4 else WIDEST_IPV6_PREFIX
    if network.prefixlen < widest and not justified:
        return "network_too_wide", {"value": value, "widest": widest}
    return None


def labels(choices: dict[Any, str]) -> dict[str, Any]:
    """JSON Schema annotation naming each choice in Chinese, in order (``x-choices``: const and title,
    as JSON Schema's ``oneOf`` would), for pages and clients."""
    return {"x-choices": [{"const": key, "title": label} for key, label in choices.items()]}


def same_person(a: Person, b: Person) -> bool:
    """Same person if the account (as compared: ``account_key``) or the e-mail match — never by a
    name alone: two people may share one (two 陳美玲)."""
    if a.account and b.account and taiwan.account_key(a.account) == taiwan.account_key(b.account):
        return True
    return bool(a.email and b.email and a.email.lower() == b.email.lower())
