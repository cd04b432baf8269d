"""The 查核人員's review of a closed month (規範 六(四)2, 六(六)): who reviews each system, asking a
querier for a 查調者說明 on a flagged query, his answer, and the verdict on each flag.

The 查核人員 is a person an administrator assigns to one business system.  That he is not among
the month's queriers is the agency's own rule (``forms.policies``: the regulation does not say it):
by default a warning kept with the signed 附件5, a refusal where the agency's setting says so.  A
querier is known by his account in the business system (``User.account``): he sees
and answers only the requests about his own queries.  Every step is written to the audit log; the
flag's current state is kept in the catalog for the pages and the sign-off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..access import Actor, Role
from ..access.policy import Action, require
from ..access.values import AccessCatalog, User
from ..catalog import NewAuditEvent, WorkCatalog
from ..errors import Conflict, Forbidden, InputError, NotFound
from ..forms.policies import OWNER_NAMES, RULES, agency_policy
from ..taiwan import TAIPEI, account_key
from .anomalies import Flag
from .month import MonthOfQueries, month_bounds
from .values import QueryEvent, QueryEventLog, QueryFlagReview, QueryReview, QueryReviewer

# People of the agency who may be assigned as a system's 查核人員.
REVIEWER_ROLES = (Role.AUDITOR, Role.STAFF, Role.CLERK)
VERDICTS = {"explained": "已說明（非違規）", "violation": "違規"}
STATE_NAMES = {"open": "待處理", "requested": "已請查調者說明", "answered": "查調者已說明", **VERDICTS}
DECIDED = ("explained", "violation")
MAX_TEXT = 1000
FIELD_NAMES = {"note": "查核意見", "answer": "查調者說明"}


class ReviewCatalog(QueryReview, QueryEventLog, AccessCatalog, WorkCatalog, Protocol):
    """What the review reads and writes."""


@dataclass(frozen=True)
class ReviewedFlag:
    """A flag of the month with the query it is about and what became of it."""

    flag: Flag
    event: QueryEvent
    review: QueryFlagReview | None

    @property
    def state(self) -> str:
        return self.review.state if self.review is not None else "open"

    @property
    def querier_account(self) -> str:
        return str(self.event.data.get("user", {}).get("account", ""))

    def as_dict(self) -> dict[str, str]:
        found = {**self.flag.as_dict(), "state": self.state, "querier": self.querier_account}
        if self.review is not None:
            found.update(request=self.review.request_note, answer=self.review.answer,
                         decision=self.review.decision_note)
        return found


def person(catalog: AccessCatalog, actor: Actor) -> User | None:
    """The signed-in person behind an actor (a session, or a person's own token); None for others."""
    if not actor.id.startswith("user:"):
        return None
    return catalog.user(actor.id.removeprefix("user:"))


def own_requests(catalog: ReviewCatalog, user: User, *, system: str | None = None,
                 month: str | None = None) -> list[QueryFlagReview]:
    """The flags about ``user``'s own queries (his account as compared: ``account_key``) in his agency."""
    key = account_key(user.account)
    return [r for r in catalog.query_flag_reviews(agency=user.agency, system=system, month=month)
            if account_key(r.querier_account) == key]


def queriers(events: Iterable[QueryEvent]) -> tuple[set[str], set[str]]:
    """The accounts (as compared: ``account_key``) and the names of the people who queried."""
    accounts, names = set(), set()
    for event in events:
        user = event.data.get("user", {})
        accounts.add(account_key(str(user.get("account", ""))))
        names.add(str(user.get("name", "")))
    return accounts - {""}, names - {""}


def queried(user: User, events: Iterable[QueryEvent]) -> bool:
    """Whether ``user`` is among the queriers: by his account, never by a name (two may share one)."""
    accounts, _ = queriers(events)
    return account_key(user.account) in accounts


def unsigned_recent_events(log: QueryEventLog, *, agency: str, system: str, now: datetime) -> list[QueryEvent]:
    """The queries of ``now``'s month and the one before, unless signed off: a 查核人員 assigned
    now reviews them, so none of their queriers may be assigned."""
    local = now.astimezone(TAIPEI)
    events: list[QueryEvent] = []
    for when in (local, local.replace(day=1) - timedelta(days=1)):
        label = f"{when.year:04d}-{when.month:02d}"
        closed = log.query_month(agency=agency, system=system, month=label)
        if closed is None or not closed.record_id:
            start, end = month_bounds(label)
            events += log.query_events(agency=agency, system=system, start=start, end=end)
    return events


def assign_reviewer(catalog: ReviewCatalog, *, agency: str, system: str, username: str, actor: Actor, now: datetime,
                    recent: Iterable[QueryEvent], audit: Callable[[NewAuditEvent], None]) -> QueryReviewer:
    """Make ``username`` the system's 查核人員; refused for someone of another agency, a role that
    does not review, or a person among the queriers of ``recent`` (the months not yet signed off)."""
    require(actor, Action.MANAGE_ACCESS, "系統的查核人員由系統管理者指派")
    system = system.strip()
    if not system:
        raise InputError("give the business system's name", details={"field": "system"})
    user = catalog.user(username.strip())
    if user is None:
        raise InputError(f"no user {username!r}: create the person first (forms-service users create)",
                         details={"field": "username"})
    if user.agency != agency:
        raise InputError(f"{user.username} belongs to the agency {user.agency}, not {agency}",
                         details={"field": "username"})
    if Role(user.role) not in REVIEWER_ROLES:
        raise InputError(f"a 查核人員 is one of the agency's people ({', '.join(REVIEWER_ROLES)}), "
                         f"not of role {user.role}", details={"field": "username"})
    if queried(user, recent) and _independence(catalog, agency) == "refuse":
        raise InputError(f"{user.full_name or user.username} 於尚未查核的月份查詢過 {system}："
                         f"{sentence_of_rule()}，請改派他人", details={"field": "username"})
    assigned = catalog.assign_query_reviewer(agency=agency, system=system, username=user.username, by=actor.id,
                                             now=now)
    audit(NewAuditEvent(actor=actor.id, agency=agency, action="query-log.assign-reviewer",
                        detail={"system": system, "username": user.username}))
    return assigned


def check_reviewer(catalog: ReviewCatalog, actor: Actor, found: MonthOfQueries) -> User:
    """The system's assigned 查核人員 acting on a month he did not query in; ``Forbidden`` otherwise."""
    assigned = catalog.query_reviewer(agency=found.agency, system=found.system)
    if assigned is None:
        raise Forbidden(f"{found.system} 尚未指派查核人員，請系統管理者於「查核人員指派」頁指派 (no 查核人員 is "
                        "assigned to this system: an administrator assigns one, or forms-service query-log assign)")
    if actor.id != f"user:{assigned.username}":
        raise Forbidden(f"{found.system} 之查核由其查核人員 {assigned.username} 辦理 (only the system's assigned "
                        "查核人員 reviews its months)")
    user = catalog.user(assigned.username)
    if user is None:
        raise Forbidden(f"查核人員 {assigned.username} 的帳號已不存在，請系統管理者另行指派")
    if queried(user, found.events) and _independence(catalog, found.agency) == "refuse":
        raise Forbidden(f"{user.full_name or user.username} 於 {found.month} 曾查詢 {found.system}："
                        f"{sentence_of_rule()}，請系統管理者另行指派")
    return user


def reviewer_warning(catalog: ReviewCatalog, *, agency: str, system: str, username: str,
                     recent: Iterable[QueryEvent]) -> str:
    """A sentence when the person assigned is among ``recent``'s queriers and the agency's rule only
    warns ("" otherwise): said to whoever assigns him."""
    user = catalog.user(username.strip())
    if user is None or not queried(user, recent) or _independence(catalog, agency) != "warn":
        return ""
    return f"{user.full_name or user.username} 於尚未查核的月份查詢過 {system.strip()}：{sentence_of_rule()}（提醒）"


def _independence(catalog: WorkCatalog, agency: str) -> str:
    """The agency's setting of its rule that a 查核人員 is not among the queriers (``forms.policies``:
    a warning by default, kept with the signed 附件5; refused only where the agency says so)."""
    profile = catalog.agency_profile(agency)
    return agency_policy(profile.data if profile is not None else None).mode("reviewer_not_querier")


def sentence_of_rule() -> str:
    rule = RULES["reviewer_not_querier"]
    return f"依{OWNER_NAMES[rule.owner]}「{rule.label}」"


def reviewed_flags(catalog: QueryReview, found: MonthOfQueries) -> list[ReviewedFlag]:
    """The month's flags, each with its query and its review so far."""
    reviews = {(r.event_id, r.kind): r for r in catalog.query_flag_reviews(agency=found.agency, system=found.system,
                                                                           month=found.month)}
    events = {e.event_id: e for e in found.events}
    return [ReviewedFlag(f, events[f.event_id], reviews.get((f.event_id, f.kind))) for f in found.flags]


def _one(flags: list[ReviewedFlag], event_id: str, kind: str) -> ReviewedFlag:
    for flag in flags:
        if flag.flag.event_id == event_id and flag.flag.kind == kind:
            return flag
    raise NotFound(f"the query {event_id!r} has no flag {kind!r} this month")


def _under_review(catalog: ReviewCatalog, found: MonthOfQueries) -> None:
    closed = catalog.query_month(agency=found.agency, system=found.system, month=found.month)
    if closed is None:
        raise InputError(f"請先關閉並封存 {found.month}，封存後方可查核 (close the month first: its queries are "
                         "reviewed once sealed)")
    if closed.record_id:
        raise Conflict(f"{found.system} {found.month} 已簽核 (signed off already: {closed.record_id})")


def _text(value: str, field: str, *, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InputError(f"請填寫{FIELD_NAMES.get(field, field)} ({field} is required)", details={"field": field})
    if len(value) > MAX_TEXT:
        raise InputError(f"{FIELD_NAMES.get(field, field)}至多 {MAX_TEXT} 字 ({field} is at most {MAX_TEXT} "
                         "characters)", details={"field": field})
    return value


def request_explanation(catalog: ReviewCatalog, actor: Actor, found: MonthOfQueries, *, event_id: str, kind: str,
                        note: str, now: datetime, audit: Callable[[NewAuditEvent], None]) -> QueryFlagReview:
    """The 查核人員 asks the querier of a flagged query for a 查調者說明."""
    _under_review(catalog, found)
    check_reviewer(catalog, actor, found)
    flag = _one(reviewed_flags(catalog, found), event_id, kind)
    if flag.state in DECIDED:
        raise Conflict(f"此標記已判定為「{STATE_NAMES[flag.state]}」(the flag {kind} of {event_id} is decided already)")
    saved = catalog.save_query_flag_review(QueryFlagReview(
        agency=found.agency, system=found.system, month=found.month, event_id=event_id, kind=kind,
        sentence=flag.flag.sentence[:500], querier_account=flag.querier_account, state="requested",
        request_note=_text(note, "note", required=False), requested_by=actor.id, requested_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=found.agency, action="query-log.request-explanation",
                        detail={"system": found.system, "month": found.month, "event_id": event_id, "kind": kind,
                                "querier": flag.querier_account}))
    return saved


def answer_request(catalog: ReviewCatalog, actor: Actor, *, agency: str, system: str, month: str, event_id: str,
                   kind: str, answer: str, now: datetime, audit: Callable[[NewAuditEvent], None]) -> QueryFlagReview:
    """The querier's 查調者說明 for one request about his own query."""
    user = person(catalog, actor)
    mine = own_requests(catalog, user, system=system, month=month) if user is not None else []
    review = next((r for r in mine if r.event_id == event_id and r.kind == kind), None)
    if user is None or user.agency != agency or review is None:
        raise NotFound("no request for an explanation of your query with this id")  # others' stay unseen
    if review.state not in ("requested", "answered"):
        raise Conflict(f"the 查核人員 has decided this flag already ({STATE_NAMES[review.state]})")
    closed = catalog.query_month(agency=agency, system=system, month=month)
    if closed is not None and closed.record_id:
        raise Conflict(f"the month {month} of {system} is signed off already")
    saved = catalog.save_query_flag_review(dataclasses.replace(
        review, state="answered", answer=_text(answer, "answer", required=True), answered_by=actor.id,
        answered_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=agency, action="query-log.answer",
                        detail={"system": system, "month": month, "event_id": event_id, "kind": kind}))
    return saved


def decide(catalog: ReviewCatalog, actor: Actor, found: MonthOfQueries, *, event_id: str, kind: str, verdict: str,
           note: str, now: datetime, audit: Callable[[NewAuditEvent], None]) -> QueryFlagReview:
    """The 查核人員 marks a flag explained or 違規 (規範 六(六)); without an answer from the querier,
    or for a 違規, he says why."""
    _under_review(catalog, found)
    check_reviewer(catalog, actor, found)
    if verdict not in VERDICTS:
        raise InputError(f"verdict must be one of {', '.join(VERDICTS)}", details={"field": "verdict"})
    flag = _one(reviewed_flags(catalog, found), event_id, kind)
    answered = flag.review is not None and bool(flag.review.answer)
    note = _text(note, "note", required=verdict == "violation" or not answered)
    base = flag.review or QueryFlagReview(agency=found.agency, system=found.system, month=found.month,
                                          event_id=event_id, kind=kind, sentence=flag.flag.sentence[:500],
                                          querier_account=flag.querier_account, state="open")
    saved = catalog.save_query_flag_review(dataclasses.replace(base, state=verdict, decision_note=note,
                                                               decided_by=actor.id, decided_at=now))
    audit(NewAuditEvent(actor=actor.id, agency=found.agency, action="query-log.decide",
                        detail={"system": found.system, "month": found.month, "event_id": event_id, "kind": kind,
                                "verdict": verdict}))
    return saved


def check_all_decided(flags: list[ReviewedFlag], result: str) -> None:
    """Sign-off needs a verdict on every flag, and a 違規 makes the month 有異常."""
    undecided = [f for f in flags if f.state not in DECIDED]
    if undecided:
        first = undecided[0].flag
        raise InputError(f"尚有 {len(undecided)} 項標記未判定（第一項：{first.event_id} 之 {first.kind}），請逐項判定"
                         f"「已說明」或「違規」後再簽核 ({len(undecided)} flag(s) have no verdict yet)",
                         details={"field": "flags"})
    if result == "normal" and any(f.state == "violation" for f in flags):
        raise InputError("有標記判定為違規，本月查核結果應為「有異常」(a flag marked 違規 makes the month abnormal)",
                         details={"field": "review.result"})
