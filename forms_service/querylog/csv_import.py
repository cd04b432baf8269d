"""Query events from a CSV file (``forms-service query-events import``), for systems that export
their query logs rather than post them.

Columns (the first row names them; order free): ``event_id``, ``at`` (ISO with offset, or without
one for Taipei time), ``user_name``, ``user_account``, ``business_id``, ``subject_name``, ``purpose``,
``case_no``, and optionally ``source_ip``, ``result_count``.  Each row becomes an event as the API
takes it; a row is refused with its line number and field, the others are stored once.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

COLUMNS = ("event_id", "at", "user_name", "user_account", "business_id", "subject_name", "purpose", "case_no",
           "source_ip", "result_count")
REQUIRED = ("event_id", "at", "user_name", "user_account", "purpose")


class CsvProblem(ValueError):
    """The file's heading names columns it cannot have, or lacks one it must."""


def read_rows(text: str, *, system: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, event as the API takes it) for every row of ``text``."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    heading = [h.strip() for h in reader.fieldnames or []]
    unknown = sorted(set(heading) - set(COLUMNS))
    missing = [c for c in REQUIRED if c not in heading]
    if unknown or missing:
        raise CsvProblem("the first row names the columns: "
                         + (f"unknown {', '.join(unknown)}; " if unknown else "")
                         + (f"missing {', '.join(missing)}; " if missing else "")
                         + f"the columns are {', '.join(COLUMNS)}")
    for row in reader:
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        if not any(cells.values()):
            continue
        yield reader.line_num, _event(cells, system)


def _event(cells: dict[str, str], system: str) -> dict[str, Any]:
    at = cells.get("at", "")
    if at and "T" in at and not any(sign in at[10:] for sign in ("+", "-", "Z")):
        at += "+08:00"  # without an offset: Taipei time, as the column's documentation says
    event: dict[str, Any] = {
        "event_id": cells.get("event_id", ""), "at": at, "system": system,
        "user": {"name": cells.get("user_name", ""), "account": cells.get("user_account", "")},
        "subject": {k: v for k, v in (("business_id", cells.get("business_id", "")),
                                      ("name", cells.get("subject_name", ""))) if v},
        "purpose": cells.get("purpose", ""), "case_no": cells.get("case_no", ""),
    }
    if cells.get("source_ip"):
        event["source_ip"] = cells["source_ip"]
    if cells.get("result_count"):
        event["result_count"] = int(cells["result_count"]) if cells["result_count"].isdigit() else cells["result_count"]
    return event
