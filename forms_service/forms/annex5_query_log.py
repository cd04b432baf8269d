"""附件5 （資料使用單位）商工登記資料查詢紀錄登記表 (``annex5-query-log``): one month, one unit.

規範 六(四)2: a 查核人員 checks every month whether each query was 業務所需, asks the querier to explain
gaps (查調者說明, per entry), and keeps the result (查核結果) a year.  So the reviewer is not one of the
month's queriers and reviews after the month has ended.  A query by 名稱 or 負責人 has no 統一編號: an
entry names its subject by any of the three.

A busy unit logs thousands of queries a month, so this form is rendered in chunks of rows
(``chunk_context``) that the pipeline converts in parallel and merges; see ``forms_service/chunked.py``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from ..errors import FieldProblem
from ..taiwan import TAIPEI, format_roc_long, roc_year
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
    """ISO date-time; without an offset it is Taipei time.  Stored with its +08:00 offset."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as err:
            raise ValueError(f"{value!r} is not an ISO date-time like 2026-11-03T09:15:00") from err
        value = parsed
    if isinstance(value, datetime):
        return (value.replace(tzinfo=TAIPEI) if value.tzinfo is None else value).astimezone(TAIPEI)
    return value


TaipeiDateTime = Annotated[datetime, BeforeValidator(_taipei_datetime)]


class QueryUser(Person):
    account: OneLine = Field(description="帳號（必填）")


class Entry(FormModel):
    at: TaipeiDateTime = Field(description="查詢日期時間（ISO，臺北時間）")
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
        raise ValueError(f"a register holds at most {MAX_ENTRIES:,} entries, not {len(entries):,}: "
                         "file a month with more queries as several registers")
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


def cross_checks(form: Annex5QueryLog) -> list[FieldProblem]:
    problems = []
    start, end = month_bounds(form.month)
    outside = 0
    for index, entry in enumerate(form.entries):
        if not start <= entry.at < end and outside < 20:
            outside += 1
            problems.append(FieldProblem(
                f"entries[{index}].at", f"{entry.at.isoformat()} is not in the month {form.month}", "outside_month"
            ))
        if not (entry.business_id or entry.entity_name or entry.responsible_person) and len(problems) < 40:
            problems.append(FieldProblem(
                f"entries[{index}].business_id",
                "name what was queried: its 統一編號 (business_id), 名稱 (entity_name) or 負責人 (responsible_person)",
                "missing"))
    review = form.review
    if review.result == "abnormal" and not review.explanation.strip():
        problems.append(FieldProblem("review.explanation", "an 有異常 (abnormal) review needs an explanation"))
    if review.reviewed_on < end.date():
        problems.append(FieldProblem(
            "review.reviewed_on", f"the month is checked after it ends (on or after {format_roc_long(end.date())}); "
                                  "規範 六(四)2(1) checks each month's queries", "review_before_month_end"))
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
            return [Finding("reviewer_not_querier", FieldProblem(
                "review.reviewer", f"查核人員 {querier.name} 亦為本月之查詢人員（第 {index + 1} 筆）",
                "reviewer_is_querier"))]
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
    cross_checks=cross_checks, policy_checks=policy_checks, chunk_contexts=chunk_contexts,
    row_count=lambda form: len(form.entries),
    retention_class="log",
    subjects=lambda form: {entry.business_id for entry in form.entries if entry.business_id},
)
