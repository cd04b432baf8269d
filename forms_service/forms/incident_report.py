"""資通安全事件紀錄 (``incident-report``): an incident touching business-registration data.

規範 六(六)4: a 資料使用單位 that finds its security breached, or the data leaked, misused or
tampered with, reports it to the data provider at once.  The record says when it was discovered, what
happened, which data it touched and what was done; filing it sends the report to the provider (mail
and the provider's page) and the time the provider had it is kept beside the record.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import Field

from ..taiwan import format_roc_long
from .spec import FormSpec, RenderOptions
from .types import Agency, FormModel, OneLine, Person, RecordRef, RocDate, Text, labels

LEVELS = {1: "1級", 2: "2級", 3: "3級", 4: "4級"}  # 資通安全事件通報及應變辦法 第2條


class IncidentReport(FormModel):
    user_unit: Agency = Field(description="資料使用單位（通報單位）")
    system_name: OneLine = Field(description="系統名稱")
    related_record: RecordRef | None = Field(None, description="同一介接案之附件1紀錄編號")
    discovered_on: RocDate = Field(description="發現日期")
    discovered_time: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                                 description="發現時間（24小時制，如 14:30）")
    level: Literal[1, 2, 3, 4] = Field(description="事件等級（資通安全事件通報及應變辦法）",
                                       json_schema_extra=labels(LEVELS))
    summary: Text = Field(description="事件經過")
    data_affected: Text = Field(description="影響之商工資料（項目、範圍）")
    actions: Text = Field(description="已採取之措施")
    reporter: Person = Field(description="填報人（姓名、職稱、電話、電子郵件）")


def context(form: IncidentReport, options: RenderOptions) -> dict[str, Any]:
    return {
        "provider_name": options.provider_name,
        "title": f"{form.user_unit.name}資通安全事件紀錄",
        "user_unit": form.user_unit.model_dump(), "system_name": form.system_name,
        "related_record": form.related_record or "",
        "discovered": f"{format_roc_long(form.discovered_on)} {form.discovered_time}",
        "level": LEVELS[form.level], "summary": form.summary, "data_affected": form.data_affected,
        "actions": form.actions,
        "reporter": " ".join(x for x in (form.reporter.name, form.reporter.title, form.reporter.phone,
                                         form.reporter.email) if x),
    }


def _retain_from(form: IncidentReport) -> date:
    return form.discovered_on


SPEC = FormSpec(
    form_id="incident-report", annex="規範六(六)4", title="資通安全事件紀錄",
    model=IncidentReport, template="incident-report.docx", context=context, owner_field="user_unit",
    retain_from=_retain_from, retention_class="log",
)
