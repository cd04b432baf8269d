"""附件5 （資料使用單位）商工登記資料查詢紀錄登記表 (``annex5-query-log``): one month, one unit.

規範 六(四)2: a 查核人員 checks every month whether each query was 業務所需, asks the querier to explain
gaps (查調者說明, per entry), and keeps the result (查核結果) a year.  So the reviewer is not one of the
month's queriers and reviews after the month has ended.  A query by 名稱 or 負責人 has no 統一編號: an
entry names its subject by any of the three.

A busy unit logs thousands of queries a month, so this form is rendered in chunks of rows
(``chunk_context``) that the pipeline converts in parallel and merges; see ``forms_service/chunked.py``.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from .. import taiwan
from ..errors import FieldProblem
from ..messages import problem, refusal
from ..taiwan import TAIPEI, format_roc_long, format_roc_short, roc_year
from .policies import Finding, Policy
from .spec import FormSpec, RenderOptions
from .types import (
    Agency,
    FormModel,
    Month,
    OneLine,
    OptionalLine,
    OptionalText,
    OptionalUbn,
    Person,
    RecordRef,
    RocDate,
    labels,
    same_person,
)

REVIEW_RESULTS = {"normal": "無異常", "abnormal": "有異常"}


def _taipei_datetime(value: Any) -> Any:
    """ISO date-time, or a 民國 date and a time as people write them (``115/11/03 09:15``,
    ``民國115年11月3日 09:15``); without an offset it is Taipei time.  Stored with its +08:00 offset."""
    if isinstance(value, str):
        value = _parse_date_time(value)
    if isinstance(value, datetime):
        return (value.replace(tzinfo=TAIPEI) if value.tzinfo is None else value).astimezone(TAIPEI)
    return value


def _parse_date_time(text: str) -> datetime:
    normal = taiwan.normalize(text).strip()
    with contextlib.suppress(ValueError):  # not ISO: the 民國 spelling below
        return datetime.fromisoformat(normal.replace("Z", "+00:00"))
    day_text, _, clock = normal.rpartition(" ")
    found = re.fullmatch(r"([0-9]{1,2})[:：]([0-9]{2})(?:[:：]([0-9]{2}))?", clock)
    if not day_text or found is None:
        raise refusal("date_time_format", value=text)
    try:
        day = taiwan.parse_date(day_text.strip())
        return datetime.combine(day, time(int(found[1]), int(found[2]), int(found[3] or 0)))
    except taiwan.InvalidValue as err:
        raise PydanticCustomError(err.code, str(err)) from err
    except ValueError as err:
        raise refusal("date_time_format", value=text) from err


TaipeiDateTime = Annotated[datetime, BeforeValidator(_taipei_datetime)]


class QueryUser(Person):
    account: OneLine = Field(description="帳號（必填）")


class Entry(FormModel):
    at: TaipeiDateTime = Field(description="查詢日期時間（例：115/11/03 09:15，臺北時間）")
    user: QueryUser = Field(description="查詢人員")
    business_id: OptionalUbn = Field("", description="查詢對象統一編號（以名稱或負責人查詢者免填）")
    entity_name: OptionalLine = Field("", description="名稱")
    responsible_person: OptionalLine = Field("", description="負責人（以負責人查詢者）")
    purpose: OneLine = Field(description="查詢目的／業務依據")
    case_no: OptionalLine = Field("", description="案號或公文文號")
    approver: OptionalLine = Field("", description="核准人")
    explanation: OptionalText = Field("", description="查調者說明（查核有缺漏時）")
    note: OptionalLine = Field("", description="備註")


class Review(FormModel):
    result: Literal["normal", "abnormal"] = Field(description="每月查核結果", json_schema_extra=labels(REVIEW_RESULTS))
    explanation: OptionalText = Field("", description="說明（有異常時必填）")
    reviewer: Person = Field(description="查核人員（不得為本月查詢人員）")
    reviewed_on: RocDate = Field(description="查核日期（月份結束後）")


# A register is one document: at this size it converts in about a minute on two cores (and its
# JSON fits the request limit).  A month with more queries is filed as several registers.
MAX_ENTRIES = 10_000


def _at_most_max_entries(entries: list[Entry]) -> list[Entry]:
    if len(entries) > MAX_ENTRIES:
        raise refusal("too_many_entries", limit=f"{MAX_ENTRIES:,}", count=f"{len(entries):,}")
    return entries


Entries = Annotated[list[Entry], AfterValidator(_at_most_max_entries)]


class Annex5QueryLog(FormModel):
    user_unit: Agency = Field(description="資料使用單位")
    system_name: OneLine = Field(description="系統名稱")
    month: Month = Field(description="月份")
    entries: Entries = Field(description=f"查詢紀錄（每份至多 {MAX_ENTRIES:,} 筆）",
                             json_schema_extra={"maxItems": MAX_ENTRIES})
    related_record: RecordRef | None = Field(None, description="同一介接案之附件1紀錄編號")
    review: Review = Field(description="每月查核")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(x) for x in month.split("-"))
    start = datetime.combine(date(year, mon, 1), time(), TAIPEI)
    end = datetime.combine(date(year + (mon == 12), mon % 12 + 1, 1), time(), TAIPEI)
    return start, end


def entry_rules(form: Annex5QueryLog) -> list[FieldProblem]:
    """Each entry within its month and naming what was queried (the first tens of each reported)."""
    problems = []
    start, end = month_bounds(form.month)
    outside = 0
    for index, entry in enumerate(form.entries):
        if not start <= entry.at < end and outside < 20:
            outside += 1
            problems.append(problem(f"entries[{index}].at", "outside_month", month=roc_month(form.month)))
        if not (entry.business_id or entry.entity_name or entry.responsible_person) and len(problems) < 40:
            problems.append(problem(f"entries[{index}].business_id", "missing", worded_as="query_subject_missing"))
    return problems


def review_rules(form: Annex5QueryLog) -> list[FieldProblem]:
    """An abnormal review explained; the review made once its month has ended."""
    problems = []
    review = form.review
    if review.result == "abnormal" and not review.explanation.strip():
        problems.append(problem("review.explanation", "invalid", worded_as="abnormal_needs_explanation"))
    _, end = month_bounds(form.month)
    if review.reviewed_on < end.date():
        problems.append(problem("review.reviewed_on", "review_before_month_end", month=roc_month(form.month),
                                first=format_roc_short(end.date())))
    return problems


def policy_checks(form: Annex5QueryLog, policy: Policy) -> list[Finding]:
    """The agency's separation of duties: its 查核人員 not among the month's queriers (matched by
    account or e-mail, never by a name alone)."""
    queriers: dict[tuple[str, str], int] = {}
    for index, entry in enumerate(form.entries):
        queriers.setdefault((entry.user.name, entry.user.account), index)
    for index in queriers.values():
        querier = form.entries[index].user
        if same_person(form.review.reviewer, querier):
            return [Finding("reviewer_not_querier", problem("review.reviewer", "reviewer_is_querier",
                                                            name=querier.name, row=index + 1))]
    return []


def roc_month(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    return f"{roc_year(date(year, mon, 1))}年{mon}月"


def entry_row(number: int, entry: Entry) -> dict[str, Any]:
    at = entry.at
    user = entry.user.name + (f"（{entry.user.account}）" if entry.user.account else "")
    return {
        "no": number,
        "at": f"{roc_year(at.date())}/{at.month:02d}/{at.day:02d} {at.hour:02d}:{at.minute:02d}",
        "user": user,
        "subject": "／".join(part for part in (
            entry.business_id, entry.entity_name,
            f"負責人 {entry.responsible_person}" if entry.responsible_person else "") if part),
        "purpose": entry.purpose,
        "case_no": entry.case_no,
        "approver": entry.approver,
        "explanation": entry.explanation,
        "note": entry.note,
    }


def chunk_context(form: Annex5QueryLog, options: RenderOptions, *, first: int, last: int,
                  is_first: bool, is_last: bool) -> dict[str, Any]:
    """The context of rows ``first``..``last`` (0-based, exclusive) of the whole register."""
    review = form.review
    return {
        "provider_name": options.provider_name,
        "title": f"{form.user_unit.name}商工登記資料查詢紀錄登記表",
        "user_unit": form.user_unit.model_dump(),
        "system_name": form.system_name,
        "month": roc_month(form.month),
        "count": len(form.entries),
        "rows": [entry_row(n + 1, form.entries[n]) for n in range(first, last)],
        "no_rows": not form.entries,
        "show_head": is_first,
        "show_review": is_last,
        "related_record": form.related_record or "",
        "review": {
            "normal": "☑" if review.result == "normal" else "☐",
            "abnormal": "☑" if review.result == "abnormal" else "☐",
            "explanation": review.explanation,
            "reviewer": review.reviewer.name + (f"（{review.reviewer.title}）" if review.reviewer.title else ""),
            "reviewed_on": format_roc_long(review.reviewed_on),
        },
    }


def chunk_contexts(form: Annex5QueryLog, options: RenderOptions, rows_per_chunk: int) -> list[dict[str, Any]]:
    starts = list(range(0, len(form.entries), rows_per_chunk)) or [0]
    return [
        chunk_context(form, options, first=start, last=min(start + rows_per_chunk, len(form.entries)),
                      is_first=i == 0, is_last=i == len(starts) - 1)
        for i, start in enumerate(starts)
    ]


def context(form: Annex5QueryLog, options: RenderOptions) -> dict[str, Any]:
    return chunk_context(form, options, first=0, last=len(form.entries), is_first=True, is_last=True)


def _retain_from(form: Annex5QueryLog) -> date:
    _, end = month_bounds(form.month)
    return (end - timedelta(days=1)).date()


SPEC = FormSpec(
    form_id="annex5-query-log", annex="附件5", title="商工登記資料查詢紀錄登記表", model=Annex5QueryLog,
    template="annex5-query-log.docx", context=context, owner_field="user_unit", retain_from=_retain_from,
    rules=(entry_rules, review_rules), policy_checks=policy_checks, chunk_contexts=chunk_contexts,
    row_count=lambda form: len(form.entries),
    retention_class="log",
    subjects=lambda form: {entry.business_id for entry in form.entries if entry.business_id},
)
