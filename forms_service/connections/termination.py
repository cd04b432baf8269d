"""The data provider stopping a connection (規範 六(一)2(4) has the agency ask by letter; the provider
may also end it, by its own letter).

The stop is filed as the connection's 終止 附件1 — the record every duty after it reads (its 終止日期
ends query events, starts the month for the purge) — carrying the provider's letter (文號 and date)
and its reason, the parties and system copied from the application in force.  Filing it (signing with
the provider's key, archiving) is the caller's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..access import Actor
from ..access.policy import Action, require
from ..errors import InputError
from ..taiwan import InvalidValue, is_valid_doc_number, normalize_doc_number, parse_date
from .timeline import Connection


def stop_input(actor: Actor, found: Connection, current: dict[str, Any], *, letter: str, letter_date: str,
               effective_on: str, reason: str, today: date, backdate: bool = False) -> dict[str, Any]:
    """The 終止 附件1 of the provider's stop, or ``InputError`` naming the field.  Its 終止日期 is today
    or later, unless the provider says it ends earlier (``backdate``): the queries after it are
    then refused from that day on."""
    require(actor, Action.STOP_CONNECTIONS)
    if found.termination is not None:
        raise InputError(f"此介接案已於 {found.terminated_on} 終止 (the connection is already terminated)",
                         details={"field": "effective_on"})
    number = normalize_doc_number(" ".join(letter.split()))
    if not is_valid_doc_number(number):
        raise InputError("函文文號格式不符，例：經商字第11500012340號", details={"field": "letter"})
    try:
        dated = parse_date(letter_date)
    except InvalidValue as err:
        raise InputError(f"函文日期：{err}", details={"field": "letter_date"}) from None
    try:
        ends = parse_date(effective_on)
    except InvalidValue as err:
        raise InputError(f"終止日期：{err}", details={"field": "effective_on"}) from None
    if ends < today and not backdate:
        raise InputError("終止日期早於今日：若確要追溯終止，請勾選「追溯終止」", details={"field": "effective_on"})
    if dated > today:
        raise InputError("函文日期不得晚於今日", details={"field": "letter_date"})
    reason = reason.strip()
    if not reason:
        raise InputError("請填寫終止理由", details={"field": "reason"})
    data: dict[str, Any] = {key: current[key] for key in ("applicant", "host", "user_unit") if key in current}
    return {**data, "application_type": "termination", "related_record": found.current_application,
            "request_letter": {"number": number, "date": dated.isoformat()}, "applied_on": today.isoformat(),
            "termination": {"effective_on": ends.isoformat(), "reason": reason, "by": "provider"}}
