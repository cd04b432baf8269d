"""Field types shared by every form: text that cannot break the layout, dates, agencies, people.

Text is cleaned at validation, so the stored JSON, the printed form and the catalog all hold the
same value: control characters (which corrupt .docx output even when escaped) are removed, and a
one-line field folds line breaks into spaces — only multi-line fields (``Text``) keep ``\\n``,
printed as a line break.  Nothing can insert a paragraph or page break.  Unicode is *not*
normalised: NFC would turn CJK compatibility ideographs in names into other characters.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import (
    BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo, WithJsonSchema,
    field_validator,
)

from .. import taiwan

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


def _parse_date(value: Any) -> date:
    try:
        return taiwan.parse_date(value)
    except taiwan.InvalidValue as err:
        raise ValueError(str(err)) from err


OneLine = Annotated[str, BeforeValidator(clean_one_line), StringConstraints(min_length=1, max_length=300)]
OptionalLine = Annotated[str, BeforeValidator(clean_one_line), StringConstraints(max_length=300)]
Text = Annotated[str, BeforeValidator(clean_multi_line), StringConstraints(min_length=1, max_length=4000)]

RocDate = Annotated[
    date,
    BeforeValidator(_parse_date),
    WithJsonSchema({
        "type": "string",
        "description": "ISO 2026-11-27 or 民國 115/11/27, 115.11.27, 1151127, 民國115年11月27日, 中華民國115年11月27日",
        "examples": ["2026-11-27", "115/11/27", "中華民國115年11月27日"],
    }),
]

AgencyCode = Annotated[str, BeforeValidator(clean_one_line), StringConstraints(pattern=r"^(\d{9}[A-Z0-9]|\d{10})?$")]
Email = Annotated[
    str, BeforeValidator(clean_one_line),
    StringConstraints(pattern=r"^([^@\s]+@[^@\s]+\.[^@\s]+)?$", max_length=254),
]
Phone = Annotated[str, BeforeValidator(clean_one_line), StringConstraints(pattern=r"^[0-9+()#\-\s轉分機ext.]*$", max_length=40)]


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
            raise ValueError(
                f"the end ({taiwan.format_roc_short(end)}) is before the start ({taiwan.format_roc_short(start)})"
            )
        return end
