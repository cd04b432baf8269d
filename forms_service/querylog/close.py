"""Closing a month of query events, and signing it off as the month's 附件5 (規範 六(四)2).

Closing seals the month: every event of that system and month, as received, is written to the object
store as JSON Lines (a header, then one event a line) with a detached CMS signature, under Object
Lock retention — like the audit log's days.  From then on the month takes no more events (a late one
is refused with a sentence).  Signing off turns the closed month into a 附件5: every event exactly
once as an entry, each flag's sentence in the entry's note, the 查核人員's result and explanation;
the register is produced, signed and archived like any form and named on the month.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, time, timedelta, timezone
from typing import Any

from signing import SigningError
from storage import ObjectStore, Retention, StorageError

from ..access import Actor
from ..catalog import NewAuditEvent, RecordCatalog
from ..clock import Clock
from ..connections.timeline import ConnectionRecords
from ..errors import Conflict, InputError, SigningFailed, StorageFailed
from ..taiwan import TAIPEI
from .anomalies import KIND_NAMES, Flag
from .month import MonthOfQueries, connection_of, month_bounds
from .values import QueryEvent, QueryEventLog, QueryFlagReview, QueryMonth

FORMAT = "forms-service-query-month/1"


def segment_key(agency: str, system: str, month: str) -> str:
    # The system's name is free text: its hash keeps the key short and safe.
    return f"query-logs/{agency}/{hashlib.sha256(system.encode()).hexdigest()[:16]}/{month}.jsonl"


def close_month(log: QueryEventLog, store: ObjectStore, *, sign: Callable[[bytes], bytes], lock_mode: str,
                retention_years: int, clock: Clock, agency: str, system: str, month: str, actor: Actor,
                audit: Callable[[NewAuditEvent], None]) -> QueryMonth:
    """Seal the month's events into the store and mark it closed; ``Conflict`` if it was closed."""
    start, end = month_bounds(month)
    now = clock.now()
    if now < end:
        raise InputError(f"the month {month} has not ended: it can be closed from "
                         f"{end.astimezone(TAIPEI):%Y-%m-%d} on")
    if log.query_month(agency=agency, system=system, month=month) is not None:
        raise Conflict(f"the month {month} of {system} is closed already")
    events = log.query_events(agency=agency, system=system, start=start, end=end)
    data = month_segment_bytes(agency=agency, system=system, month=month, events=events, closed_at=now,
                               closed_by=actor.id)
    try:
        signature = sign(data)
    except SigningError as err:
        raise SigningFailed(f"the month {month} could not be signed: {err}") from err
    until = datetime.combine(end.date(), time(), timezone.utc) + timedelta(days=366 * retention_years)
    retention = Retention(lock_mode, max(until, now + timedelta(days=1)))  # type: ignore[arg-type]
    key = segment_key(agency, system, month)
    metadata = {"kind": "query-month", "agency": agency, "month": month, "count": str(len(events))}
    try:
        stored = store.put(key, data, content_type="application/x-ndjson", metadata=metadata, retention=retention)
        store.put(key + ".p7s", signature, content_type="application/pkcs7-signature", metadata=metadata,
                  retention=retention)
    except StorageError as err:
        raise StorageFailed(f"the month {month} could not be stored: {err}") from err
    closed = QueryMonth(agency=agency, system=system, month=month, count=len(events), object_key=key,
                        object_version=stored.version_id, sha256=hashlib.sha256(data).hexdigest(), closed_at=now,
                        closed_by=actor.id)
    if not log.close_query_month(closed):
        raise Conflict(f"the month {month} of {system} was closed meanwhile")
    audit(NewAuditEvent(actor=actor.id, agency=agency, action="query-log.close",
                        detail={"system": system, "month": month, "events": len(events), "sha256": closed.sha256}))
    return closed


def month_segment_bytes(*, agency: str, system: str, month: str, events: list[QueryEvent], closed_at: datetime,
                        closed_by: str) -> bytes:
    """A closed month (format ``forms-service-query-month/1``, kept with its 附件5: add fields,
    never change one): a header line, then each event as received, JSON with sorted keys."""
    header = {"format": FORMAT, "agency": agency, "system": system, "month": month, "timezone": "Asia/Taipei",
              "count": len(events), "closed_at": closed_at.isoformat(), "closed_by": closed_by}
    lines = [json.dumps(header, ensure_ascii=False, sort_keys=True)]
    lines += [json.dumps({"event_id": e.event_id, "received_at": e.received_at.isoformat(),
                          "received_by": e.received_by, "event": e.data}, ensure_ascii=False, sort_keys=True)
              for e in events]
    return ("\n".join(lines) + "\n").encode()


def close_month_by_hand(log: QueryEventLog, records: ConnectionRecords, store: ObjectStore, *, agency: str,
                        system: str, **close: Any) -> QueryMonth:
    """A person closes a month: only a system of an agreed connection whose 資料使用單位 is ``agency``
    (any other name would be sealed, empty, as if it had reported nothing)."""
    if connection_of(records, agency=agency, system=system) is None:
        raise InputError(f"「{system}」不是本機關已經同意之介接案的系統：只能關閉本機關介接案系統的查詢月份",
                         details={"field": "system"})
    return close_month(log, store, agency=agency, system=system, **close)


def months_due(now: datetime, close_days: int, *, looking_back: int = 3) -> list[str]:
    """The months (YYYY-MM) that ended at least ``close_days`` days before ``now``, newest
    ``looking_back`` of them (older ones were closed by earlier runs or are closed by hand)."""
    local = now.astimezone(TAIPEI)
    months = []
    year, month = local.year, local.month
    for _ in range(looking_back + 1):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        label = f"{year:04d}-{month:02d}"
        _, end = month_bounds(label)
        if end + timedelta(days=close_days) <= now:
            months.append(label)
    return months[:looking_back]


def close_due_months(log: QueryEventLog, store: ObjectStore, *, sign: Callable[[bytes], bytes], lock_mode: str,
                     retention_years: int, clock: Clock, close_days: int, actor: Actor,
                     audit: Callable[[NewAuditEvent], None]) -> list[QueryMonth]:
    """Close every system's month that ended ``close_days`` ago and is still open (規範 六(四)2:
    the month's queries are then fixed for the 查核人員); another process closing one first is fine."""
    closed = []
    for month in months_due(clock.now(), close_days):
        start, end = month_bounds(month)
        for agency, system in log.query_event_sources(start=start, end=end):
            if log.query_month(agency=agency, system=system, month=month) is not None:
                continue
            try:
                closed.append(close_month(log, store, sign=sign, lock_mode=lock_mode, retention_years=retention_years,
                                          clock=clock, agency=agency, system=system, month=month, actor=actor,
                                          audit=audit))
            except Conflict:
                continue
    return closed


def register_input(records: RecordCatalog, found: MonthOfQueries, *, unit_name: str, review: dict[str, Any],
                   reviews: dict[tuple[str, str], QueryFlagReview] | None = None) -> dict[str, Any]:
    """The 附件5 input of a closed month: every event an entry, its flags and their verdicts in the
    note, the querier's 查調者說明 as the entry's explanation."""
    agency, system, month = found.agency, found.system, found.month
    flags: dict[str, list[Flag]] = {}
    for flag in found.flags:
        flags.setdefault(flag.event_id, []).append(flag)
    entries = [_entry(e, flags.get(e.event_id, []), reviews or {}) for e in found.events]
    if not unit_name and found.connection is not None:
        application = records.get_record(found.connection.record_id)
        unit_name = ((application.input if application else {}).get("user_unit") or {}).get("name", "")
    data: dict[str, Any] = {"user_unit": {"name": unit_name or agency, "code": agency}, "system_name": system,
                            "month": month, "entries": entries, "review": review}
    if found.connection is not None and found.connection.record_id:
        data["related_record"] = found.connection.record_id
    return data


VERDICT_WORDS = {"explained": "已說明", "violation": "違規"}


def _entry(event: QueryEvent, flags: list[Flag], reviews: dict[tuple[str, str], QueryFlagReview]) -> dict[str, Any]:
    data = event.data
    subject = data.get("subject", {})
    notes, answers = [], []
    for flag in flags:
        review = reviews.get((event.event_id, flag.kind))
        verdict = f"（{VERDICT_WORDS[review.state]}）" if review is not None and review.state in VERDICT_WORDS else ""
        notes.append(f"[{KIND_NAMES[flag.kind]}] {flag.sentence}{verdict}")
        if review is not None and review.answer and review.answer not in answers:
            answers.append(review.answer)
    return {"at": data["at"], "user": {"name": data["user"]["name"], "account": data["user"]["account"]},
            "business_id": subject.get("business_id", ""), "entity_name": subject.get("name", ""),
            "purpose": data.get("purpose", ""), "case_no": data.get("case_no", ""),
            "explanation": "\n".join(answers)[:2000], "note": "；".join(notes)[:300]}
