"""附件5 entries from a CSV file or rows pasted from a spreadsheet (tab-separated).

The first row names the columns, by their JSON names (``at``, ``user.name``, ``business_id``, …) or
their Chinese labels (查詢日期時間, 查詢人員, 統一編號, …).  Each row is checked as the form checks an
entry; a bad row is reported by its line and column and left out, the good ones are kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from .annex5_query_log import Entry
from .spec import field_path

COLUMNS = {
    "at": "查詢日期時間", "user.name": "查詢人員", "user.account": "帳號", "business_id": "統一編號",
    "entity_name": "名稱", "responsible_person": "負責人", "purpose": "查詢目的", "case_no": "案號",
    "approver": "核准人", "explanation": "查調者說明", "note": "備註",
}
_BY_LABEL = {label: name for name, label in COLUMNS.items()}
_PARENTS = {"user": "查詢人員"}
MAX_ROWS = 10_000


@dataclass
class RowProblem:
    line: int
    column: str  # the column's heading as given
    message: str

    def __str__(self) -> str:
        return f"第 {self.line} 行「{self.column}」：{self.message}"


@dataclass
class Imported:
    entries: list[dict[str, Any]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def read_entries(text: str) -> Imported:
    """The entries of ``text`` (CSV, or tab-separated when its first line has a tab)."""
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    if not lines:
        return Imported(problems=[RowProblem(1, "", "沒有資料 (empty)")])
    dialect = "excel-tab" if "\t" in lines[0] else "excel"
    reader = csv.reader(io.StringIO(text), dialect=dialect)
    heading = next(reader)
    names = [_BY_LABEL.get(h.strip(), h.strip()) for h in heading]
    unknown = [h for h, n in zip(heading, names, strict=True) if n not in COLUMNS]
    if unknown:
        return Imported(problems=[RowProblem(1, h, "不是可匯入的欄位 (unknown column; use "
                                                   + "、".join(COLUMNS.values()) + ")") for h in unknown])
    result = Imported()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(result.entries) + len(result.problems) >= MAX_ROWS:
            result.problems.append(RowProblem(line, "", f"超過 {MAX_ROWS:,} 筆，其餘未匯入 (too many rows)"))
            break
        if len(row) != len(names):
            result.problems.append(RowProblem(line, "", f"有 {len(row)} 欄，標題列有 {len(names)} 欄"))
            continue
        entry: dict[str, Any] = {}
        for name, cell in zip(names, row, strict=True):
            if cell.strip():
                head, _, tail = name.partition(".")
                if tail:
                    entry.setdefault(head, {})[tail] = cell.strip()
                else:
                    entry[name] = cell.strip()
        try:
            Entry.model_validate(entry)
        except ValidationError as err:
            for problem in err.errors(include_url=False):
                path = field_path(problem["loc"])
                column = heading[names.index(path)] if path in names else COLUMNS.get(path, _PARENTS.get(path, path))
                result.problems.append(RowProblem(line, column, problem["msg"].removeprefix("Value error, ")))
            continue
        if not (entry.get("business_id") or entry.get("entity_name") or entry.get("responsible_person")):
            result.problems.append(RowProblem(line, "統一編號", "須填統一編號、名稱或負責人其中之一"))
            continue
        result.entries.append(entry)
    return result
