"""商工資料清除紀錄 (``purge-record``): what a terminated connection's 資料使用單位 did with the data.

規範 六(一)2(4): once a connection is terminated (終止), the business-registration data received through
it is deleted within one month.  The record says what data, where it was kept, how it was cleared and
when, by whom and witnessed by whom; it names the 終止 application of its connection
(``related_record``), whose 終止日期 it repeats.  A record filed later than a month after that date is
still accepted — the evidence matters more than the delay — and the connection shows it as late.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from ..errors import FieldProblem
from ..messages import problem
from ..taiwan import add_months, format_roc_long, format_roc_short
from .policies import NOTE, Finding, Policy
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OneLine, OptionalText, Person, RecordRef, RocDate, Text, same_person

PURGE_MONTHS = 1  # 六(一)2(4): 終止後一個月內刪除


class Place(FormModel):
    place: OneLine = Field(description="存放處所（系統、資料庫、檔案、紙本等）")
    method: OneLine = Field(description="清除方式（刪除、覆寫、銷毀等）")
    done_on: RocDate = Field(description="清除日期")


class PurgeRecord(FormModel):
    applicant: Agency = Field(description="申請介接單位")
    user_unit: Agency = Field(description="資料使用單位（清除資料者）")
    system_name: OneLine = Field(description="系統名稱")
    related_record: RecordRef = Field(description="同一介接案之附件1（終止）紀錄編號")
    terminated_on: RocDate = Field(description="終止日期（同附件1終止申請）")
    data: Text = Field(description="清除之資料（資料項目、筆數或範圍）")
    places: list[Place] = Field(min_length=1, max_length=50, description="存放處所及清除方式")
    performed_by: Person = Field(description="執行人")
    witnessed_by: Person = Field(description="監督（見證）人")
    completed_on: RocDate = Field(description="完成日期")
    note: OptionalText = Field("", description="備註")


def purge_due_on(terminated_on: date) -> date:
    """The last day the data may be kept: a month after the 終止日期."""
    return add_months(terminated_on, PURGE_MONTHS)


def places_done_by_completion(form: PurgeRecord) -> list[FieldProblem]:
    problems = []
    for index, place in enumerate(form.places):
        if place.done_on > form.completed_on:
            problems.append(problem(f"places[{index}].done_on", "after_completion"))
    return problems


def context(form: PurgeRecord, options: RenderOptions) -> dict[str, Any]:
    due = purge_due_on(form.terminated_on)
    late = form.completed_on > due
    return {
        "provider_name": options.provider_name,
        "title": f"{form.user_unit.name}使用商工資料清除紀錄",
        "applicant": form.applicant.model_dump(), "user_unit": form.user_unit.model_dump(),
        "system_name": form.system_name, "related_record": form.related_record,
        "terminated_on": format_roc_long(form.terminated_on), "due_on": format_roc_long(due),
        "data": form.data,
        "places": [{"no": n, "place": p.place, "method": p.method, "done_on": format_roc_short(p.done_on)}
                   for n, p in enumerate(form.places, 1)],
        "performed_by": _person(form.performed_by), "witnessed_by": _person(form.witnessed_by),
        "completed_on": format_roc_long(form.completed_on),
        "timeliness": (f"逾期：應於{format_roc_long(due)}前完成清除（規範六(一)2(4)）" if late
                       else "於終止後一個月內完成"),
        "note": form.note or "無",
    }


def _person(person: Person) -> str:
    return person.name + (f"（{person.title}）" if person.title else "")


def _retain_from(form: PurgeRecord) -> date:
    return form.completed_on


def policy_checks(form: PurgeRecord, policy: Policy) -> list[Finding]:
    """The agency's witness rule; and a note — the regulation sets only the latest day (一個月內), so
    data cleared before the 終止日期 is recorded as it happened, noted, not refused."""
    findings = []
    if same_person(form.performed_by, form.witnessed_by):
        findings.append(Finding("purge_witness_distinct", problem("witnessed_by", "same_person",
                                                                  first="監督（見證）人", second="執行人")))
    for index, place in enumerate(form.places):
        if place.done_on < form.terminated_on:
            findings.append(Finding(NOTE, problem(f"places[{index}].done_on", "before_termination",
                                                  place=index + 1)))
    return findings


SPEC = FormSpec(
    form_id="purge-record", annex="規範六(一)2(4)", title="使用商工資料清除紀錄",
    model=PurgeRecord, template="purge-record.docx", context=context, owner_field="user_unit",
    retain_from=_retain_from, rules=(places_done_by_completion,), policy_checks=policy_checks, retention_class="log",
)
