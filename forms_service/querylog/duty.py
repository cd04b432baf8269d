"""The monthly query-log duty (規範 六(四)2) as one service the API, the pages, the CLI and the jobs
call alike: close a finished month (seal it), assign a system's 查核人員, ask for and give a
查調者說明, decide each flag, and sign a closed month off as its 附件5.

Each step checks who may take it (``access/policy.py``, then the step's own rules: the assigned
查核人員, the querier himself) and is audited; the edges only say who asks and answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Protocol

from storage import ObjectStore

from ..access import Actor, Role
from ..access.policy import Action, may, require
from ..catalog import AuditLog, NewAuditEvent, RecordCatalog
from ..clock import Clock
from ..errors import InputError
from ..taiwan import TAIPEI
from . import review as reviewing
from .close import close_due_months, close_month_by_hand, register_input
from .month import MonthOfQueries, Thresholds, month_of_queries
from .values import QueryFlagReview, QueryMonth, QueryReviewer


class DutyCatalog(reviewing.ReviewCatalog, RecordCatalog, AuditLog, Protocol):
    """What the duty reads and keeps: the events and months, the reviews and reviewers, the records
    (a connection's, an agency's profile) and the audit log."""


# Files a register as its reviewer: (filer, form id, data, source ip) → the new record's id.
FileRegister = Callable[[Actor, str, dict[str, Any], str], str]


@dataclasses.dataclass(frozen=True)
class QueryLogDuty:
    catalog: DutyCatalog
    store: ObjectStore
    sign: Callable[[bytes], bytes]  # a detached CMS signature over a sealed month
    lock_mode: str
    retention_years: int
    close_days: int
    thresholds: Thresholds
    clock: Clock
    file_register: FileRegister

    def month(self, agency: str, system: str, month: str) -> MonthOfQueries:
        """The month's events with their flags."""
        return month_of_queries(self.catalog, self.catalog, agency=agency, system=system, month=month,
                                thresholds=self.thresholds)

    def read(self, actor: Actor, agency: str, system: str, month: str, *, source_ip: str = "",
             via: str = "") -> MonthOfQueries:
        """The month, for a reader of the agency's query logs; the reading is audited."""
        require(actor, Action.READ_QUERY_LOGS)
        found = self.month(agency, system, month)
        self.catalog.audit(NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="query-log.read", source_ip=source_ip,
            detail={"agency": agency, "system": system, "month": month, **({"via": via} if via else {})}))
        return found

    def close(self, actor: Actor, agency: str, system: str, month: str) -> QueryMonth:
        """Seal a finished month of one of the agency's systems."""
        require(actor, Action.CLOSE_QUERY_MONTHS)
        return close_month_by_hand(self.catalog, self.catalog, self.store, sign=self.sign, lock_mode=self.lock_mode,
                                   retention_years=self.retention_years, clock=self.clock, agency=agency,
                                   system=system, month=month, actor=actor, audit=self.catalog.audit)

    def close_due(self, actor: Actor) -> list[QueryMonth]:
        """Every system's month whose closing days have passed (the hourly job)."""
        return close_due_months(self.catalog, self.store, sign=self.sign, lock_mode=self.lock_mode,
                                retention_years=self.retention_years, clock=self.clock, close_days=self.close_days,
                                actor=actor, audit=self.catalog.audit)

    def assign(self, actor: Actor, agency: str, system: str, username: str) -> tuple[QueryReviewer, str]:
        """The system's 查核人員 assigned, and a warning when the agency's rule only warns of him."""
        now = self.clock.now()
        recent = reviewing.unsigned_recent_events(self.catalog, agency=agency, system=system.strip(), now=now)
        assigned = reviewing.assign_reviewer(self.catalog, agency=agency, system=system, username=username,
                                             actor=actor, now=now, recent=recent, audit=self.catalog.audit)
        return assigned, reviewing.reviewer_warning(self.catalog, agency=agency, system=system, username=username,
                                                    recent=recent)

    def request_explanation(self, actor: Actor, agency: str, system: str, month: str, event_id: str, kind: str,
                            note: str) -> QueryFlagReview:
        return reviewing.request_explanation(self.catalog, actor, self.month(agency, system, month),
                                             event_id=event_id, kind=kind, note=note, now=self.clock.now(),
                                             audit=self.catalog.audit)

    def answer(self, actor: Actor, agency: str, system: str, month: str, event_id: str, kind: str,
               text: str) -> QueryFlagReview:
        return reviewing.answer_request(self.catalog, actor, agency=agency, system=system, month=month,
                                        event_id=event_id, kind=kind, answer=text, now=self.clock.now(),
                                        audit=self.catalog.audit)

    def my_requests(self, actor: Actor) -> list[QueryFlagReview]:
        """The requests about the actor's own queries, open ones first; none for one who is no person."""
        user = reviewing.person(self.catalog, actor)
        if user is None:
            return []
        found = reviewing.own_requests(self.catalog, user)
        return sorted(found, key=lambda r: (r.state != "requested", r.month, r.event_id))

    def decide(self, actor: Actor, agency: str, system: str, month: str, event_id: str, kind: str, verdict: str,
               note: str) -> QueryFlagReview:
        return reviewing.decide(self.catalog, actor, self.month(agency, system, month), event_id=event_id,
                                kind=kind, verdict=verdict, note=note, now=self.clock.now(),
                                audit=self.catalog.audit)

    def sign_off(self, actor: Actor, agency: str, system: str, month: str, review: dict[str, Any], *,
                 source_ip: str = "") -> tuple[str, int]:
        """The closed month's 附件5, signed and archived by its 查核人員: (record id, entries).

        The reviewer in the register is the assigned person (name, title, account, e-mail) — not
        what the request says — and every flag must have its verdict first."""
        if self.catalog.query_month(agency=agency, system=system, month=month) is None:
            raise InputError(f"close the month {month} first: its events must be sealed before review")
        found = self.month(agency, system, month)
        reviewer = reviewing.check_reviewer(self.catalog, actor, found)
        flags = reviewing.reviewed_flags(self.catalog, found)
        reviewing.check_all_decided(flags, str(review.get("result", "")))
        given = review.get("reviewer")
        given = given if isinstance(given, dict) else {}
        review = {**review, "reviewer": {"name": reviewer.full_name or reviewer.username,
                                         "title": str(given.get("title", "")).strip(), "account": reviewer.account,
                                         "email": reviewer.email}}
        if not str(review.get("reviewed_on", "")).strip():
            review["reviewed_on"] = self.clock.now().astimezone(TAIPEI).date().isoformat()
        profile = self.catalog.agency_profile(agency)
        unit_name = profile.data.get("name", "") if profile else ""
        data = register_input(self.catalog, found, unit_name=unit_name, review=review,
                              reviews={(f.flag.event_id, f.flag.kind): f.review for f in flags if f.review is not None})
        # The assigned 查核人員 files this one register whatever his role (an auditor otherwise only
        # reads): the review step has checked him; the record and the audit log name him (actor.id).
        filer = actor if may(actor, Action.FILE_FORMS) else dataclasses.replace(actor, role=Role.STAFF)
        record_id = self.file_register(filer, "annex5-query-log", data, source_ip)
        self.catalog.set_query_month_record(agency=agency, system=system, month=month, record_id=record_id)
        return record_id, len(data["entries"])
