"""Query events as a business system reports them, checked one by one, and stored once.

An event is one query a user made of 商工資料 in an agency's business system: when (with its UTC
offset), who (name, account), what (統一編號 and/or 名稱 — a query by 名稱 or 負責人 has no 統一編號),
why (purpose, case number), and optionally from where and how many results.  A batch is a JSON
array or JSON Lines; each item is checked alone, so one bad item is named (by its index and field)
and the others are kept.  ``(agency, system, event_id)`` identifies an event: a retry never
stores it twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from .. import json_input
from ..access import Actor
from ..clock import Clock
from ..errors import FieldProblem, InputError
from ..forms.spec import problems_from
from ..forms.types import FormModel, IpAddress, OneLine, OptionalLine, OptionalUbn
from ..taiwan import TAIPEI, format_roc_short
from .values import NewQueryEvent, QueryEventLog

MAX_BATCH = 5_000  # events in one request (a month of a busy system is posted in many)


class EventUser(FormModel):
    name: OneLine = Field(description="查詢人員姓名")
    account: OneLine = Field(description="帳號")


class EventSubject(FormModel):
    business_id: OptionalUbn = Field("", description="統一編號")
    name: OptionalLine = Field("", description="名稱或負責人")

    @model_validator(mode="after")
    def _something_was_queried(self) -> EventSubject:
        if not (self.business_id or self.name):
            raise ValueError("a query names its subject: business_id (統一編號) and/or name (名稱或負責人)")
        return self


class QueryEventInput(FormModel):
    event_id: OneLine = Field(max_length=100, description="事件編號（同一系統內唯一）")
    at: datetime = Field(description="查詢時間（ISO，含時區，如 2026-11-03T09:15:00+08:00）")
    system: OneLine = Field(max_length=200, description="業務系統名稱")
    user: EventUser
    subject: EventSubject
    purpose: OneLine = Field(description="查詢目的")
    case_no: OptionalLine = Field("", description="案號")
    source_ip: IpAddress | None = Field(None, description="來源 IP")
    result_count: int | None = Field(None, ge=0, le=1_000_000, description="查詢結果筆數")

    @field_validator("at")
    @classmethod
    def _with_offset(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("give the time with its offset (2026-11-03T09:15:00+08:00): a business system's "
                             "clock zone must not be guessed")
        return value


@dataclass
class Refused:
    index: int  # 0-based position in the batch (JSON Lines: line number - 1)
    event_id: str
    problems: list[FieldProblem]

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "event_id": self.event_id, "errors": [p.as_dict() for p in self.problems]}


@dataclass
class Ingested:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"accepted": len(self.accepted), "duplicates": self.duplicates,
                "refused": [r.as_dict() for r in self.refused]}


def parse_batch(body: bytes, content_type: str) -> list[Any]:
    """The items of a JSON array, or of JSON Lines (``application/x-ndjson``)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the body is not UTF-8") from None
    nested = json_input.depth(text)
    if nested > json_input.MAX_DEPTH:
        raise InputError(f"the body nests {nested} levels deep; an event has at most {json_input.MAX_DEPTH}",
                         details={"field": "body"})
    if "ndjson" in content_type or "jsonlines" in content_type:
        items: list[Any] = []
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise InputError(f"line {number} is not JSON: {err.msg}") from None
    else:
        try:
            items = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"the body is not JSON: {err.msg} (line {err.lineno})") from None
        if not isinstance(items, list):
            raise InputError("the body is a JSON array of events (or JSON Lines with Content-Type "
                             "application/x-ndjson)")
    if len(items) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH:,} events a request, not {len(items):,}: post them in batches")
    return items


def check_events(items: list[Any], *, agency: str,
                 system: str) -> tuple[list[tuple[int, NewQueryEvent]], list[Refused]]:
    """Each item as an event of ``system`` of ``agency`` (with its index), or refused naming its fields."""
    good: list[tuple[int, NewQueryEvent]] = []
    refused: list[Refused] = []
    for index, item in enumerate(items):
        event_id = str(item.get("event_id", "")) if isinstance(item, dict) else ""
        if not isinstance(item, dict):
            refused.append(Refused(index, "", [FieldProblem("", "an event is a JSON object")]))
            continue
        try:
            event = QueryEventInput.model_validate(item)
        except ValidationError as err:
            refused.append(Refused(index, event_id, problems_from(err)))
            continue
        if event.system != system:
            refused.append(Refused(index, event_id, [FieldProblem(
                "system", f"this token posts for the system {system!r}, not {event.system!r}", "other_system")]))
            continue
        good.append((index, NewQueryEvent(agency=agency, system=system, event_id=event.event_id, at=event.at,
                                          data=event.model_dump(mode="json"))))
    return good, refused


def _in_open_months(log: QueryEventLog, events: list[tuple[int, NewQueryEvent]], *, agency: str,
                    system: str) -> tuple[list[NewQueryEvent], list[Refused]]:
    """The events whose month is still open; a closed (sealed) month takes no more."""
    closed = {}
    for month in {e.at.astimezone(TAIPEI).strftime("%Y-%m") for _, e in events}:
        found = log.query_month(agency=agency, system=system, month=month)
        if found is not None:
            closed[month] = found
    if not closed:
        return [event for _, event in events], []
    kept, late = [], []
    for index, event in events:
        month = event.at.astimezone(TAIPEI).strftime("%Y-%m")
        if month in closed:
            late.append(Refused(index, event.event_id, [FieldProblem(
                "at", f"the month {month} of this system was closed and sealed on "
                      f"{closed[month].closed_at.astimezone(TAIPEI):%Y-%m-%d}: a late event is not added",
                "month_closed")]))
        else:
            kept.append(event)
    return kept, late


FUTURE_SKEW = timedelta(days=1)  # a business system's clock may run ahead, never by more


def _within_window(events: list[tuple[int, NewQueryEvent]], *, now: datetime,
                   window_days: int) -> tuple[list[tuple[int, NewQueryEvent]], list[Refused]]:
    """A query happened in the last ``window_days`` (FORMS_QUERY_EVENT_WINDOW_DAYS) and not after
    tomorrow: one of 1999 or 2099 is a system's error, not a query to keep a year."""
    earliest, latest = now - timedelta(days=window_days), now + FUTURE_SKEW
    kept, refused = [], []
    for index, event in events:
        if earliest <= event.at <= latest:
            kept.append((index, event))
        else:
            when = event.at.astimezone(TAIPEI)
            refused.append(Refused(index, event.event_id, [FieldProblem(
                "at", f"查詢時間 {format_roc_short(when.date())} {when:%H:%M} 不在可收受的期間（{window_days} 日內，"
                      "且不晚於明日）：請確認業務系統的時鐘與時區", "outside_window")]))
    return kept, refused


def _before_termination(events: list[tuple[int, NewQueryEvent]],
                        terminated_on: date | None) -> tuple[list[tuple[int, NewQueryEvent]], list[Refused]]:
    """A terminated connection takes no queries dated after its 終止日期 (規範 六(一)2(4))."""
    if terminated_on is None:
        return events, []
    kept, refused = [], []
    for index, event in events:
        if event.at.astimezone(TAIPEI).date() > terminated_on:
            refused.append(Refused(index, event.event_id, [FieldProblem(
                "at", f"the connection of this system was terminated on {terminated_on.isoformat()}: "
                      "no query after that date is taken", "connection_terminated")]))
        else:
            kept.append((index, event))
    return kept, refused


def ingest(log: QueryEventLog, actor: Actor, items: list[Any], *, clock: Clock, window_days: int,
           system: str | None = None, terminated_on: date | None = None) -> Ingested:
    """Check and store a batch for ``actor``'s agency and system (``system`` for an operator's import);
    ``window_days``: how far back a query may lie; ``terminated_on``: the 終止日期 of the system's
    connection, after which nothing is taken."""
    source = system if system is not None else actor.system
    checked, refused = check_events(items, agency=actor.agency, system=source)
    recent, outside = _within_window(checked, now=clock.now(), window_days=window_days)
    before_end, ended = _before_termination(recent, terminated_on)
    good, late = _in_open_months(log, before_end, agency=actor.agency, system=source)
    refused = sorted(refused + outside + ended + late, key=lambda r: r.index)
    new = log.add_query_events(good, by=actor.id, now=clock.now())
    result = Ingested(refused=refused)
    for event in good:
        if event.event_id in new:
            result.accepted.append(event.event_id)
            new.discard(event.event_id)  # the same id again later in the batch is a duplicate
        else:
            result.duplicates.append(event.event_id)
    return result
