"""The duties' steps as the web layer runs them, for the API and the pages alike: close a finished
month (seal it), assign a system's 查核人員, ask for and give a 查調者說明, decide each flag, sign a
closed month off as its 附件5; schedule the provider's audit of an agency and notify it."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..access import Actor, Role
from ..catalog import Inspection, NewAuditEvent, QueryFlagReview, QueryMonth, QueryReviewer
from ..connections import inspections
from ..errors import Forbidden, InputError
from ..notify.reminders import send_notice
from ..querylog import review as reviewing
from ..querylog.close import close_month_by_hand, register_input
from ..querylog.month import MonthOfQueries, month_of_queries, thresholds_from
from ..taiwan import TAIPEI, format_roc_long
from .auth import source_ip
from .context import catalog, components


def month(agency: str, system: str, month_: str) -> MonthOfQueries:
    return month_of_queries(catalog(), catalog(), agency=agency, system=system, month=month_,
                            thresholds=thresholds_from(components().settings))


def close(actor: Actor, agency: str, system: str, month_: str) -> QueryMonth:
    if actor.role not in (Role.STAFF, Role.AUDITOR, Role.ADMIN):
        raise Forbidden("月份由本機關承辦人、查核人員或系統管理者結束")
    service = components()
    return close_month_by_hand(catalog(), catalog(), service.require_archive()[0], sign=service.sign_detached,
                       lock_mode=service.settings.lock_mode, retention_years=service.settings.retention_years_logs,
                       clock=service.clock, agency=agency, system=system, month=month_, actor=actor,
                       audit=catalog().audit)


def assign(actor: Actor, agency: str, system: str, username: str) -> tuple[QueryReviewer, str]:
    """The system's 查核人員 assigned, and a warning when the agency's rule only warns of him."""
    now = components().clock.now()
    recent = reviewing.unsigned_recent_events(catalog(), agency=agency, system=system.strip(), now=now)
    assigned = reviewing.assign_reviewer(catalog(), agency=agency, system=system, username=username, actor=actor,
                                         now=now, recent=recent, audit=catalog().audit)
    return assigned, reviewing.reviewer_warning(catalog(), agency=agency, system=system, username=username,
                                                recent=recent)


def request_explanation(actor: Actor, agency: str, system: str, month_: str, event_id: str, kind: str,
                        note: str) -> QueryFlagReview:
    return reviewing.request_explanation(catalog(), actor, month(agency, system, month_), event_id=event_id, kind=kind,
                                         note=note, now=components().clock.now(), audit=catalog().audit)


def answer(actor: Actor, agency: str, system: str, month_: str, event_id: str, kind: str,
           text: str) -> QueryFlagReview:
    return reviewing.answer_request(catalog(), actor, agency=agency, system=system, month=month_, event_id=event_id,
                                    kind=kind, answer=text, now=components().clock.now(), audit=catalog().audit)


def my_requests(actor: Actor) -> list[QueryFlagReview]:
    """The requests about the actor's own queries, open ones first; none for an actor who is no person."""
    user = reviewing.person(catalog(), actor)
    if user is None:
        return []
    found = reviewing.own_requests(catalog(), user)
    return sorted(found, key=lambda r: (r.state != "requested", r.month, r.event_id))


def decide(actor: Actor, agency: str, system: str, month_: str, event_id: str, kind: str, verdict: str,
           note: str) -> QueryFlagReview:
    return reviewing.decide(catalog(), actor, month(agency, system, month_), event_id=event_id, kind=kind,
                            verdict=verdict, note=note, now=components().clock.now(), audit=catalog().audit)


def sign_off(actor: Actor, agency: str, system: str, month_: str, review: dict[str, Any]) -> tuple[str, int]:
    """The closed month's 附件5, signed and archived by its 查核人員: (record id, entries).

    The reviewer in the register is the assigned person (name, title, account, e-mail) — not
    what the request says — and every flag must have its verdict first."""
    if catalog().query_month(agency=agency, system=system, month=month_) is None:
        raise InputError(f"close the month {month_} first: its events must be sealed before review")
    service = components()
    found = month(agency, system, month_)
    reviewer = reviewing.check_reviewer(catalog(), actor, found)
    flags = reviewing.reviewed_flags(catalog(), found)
    reviewing.check_all_decided(flags, str(review.get("result", "")))
    given = review.get("reviewer") if isinstance(review.get("reviewer"), dict) else {}
    review = {**review, "reviewer": {"name": reviewer.full_name or reviewer.username,
                                     "title": str(given.get("title", "")).strip(), "account": reviewer.account,
                                     "email": reviewer.email}}
    if not str(review.get("reviewed_on", "")).strip():
        review["reviewed_on"] = service.clock.now().astimezone(TAIPEI).date().isoformat()
    profile = catalog().agency_profile(agency)
    unit_name = profile.data.get("name", "") if profile else ""
    data = register_input(catalog(), found, unit_name=unit_name, review=review,
                          reviews={(f.flag.event_id, f.flag.kind): f.review for f in flags if f.review is not None})
    # The assigned 查核人員 files this one register whatever his role (an auditor otherwise only reads):
    # the review step has checked him; the record and the audit log name him (actor.id).
    filer = actor if actor.role in (Role.STAFF, Role.ADMIN) else dataclasses.replace(actor, role=Role.STAFF)
    filed = service.filing.file(filer, "annex5-query-log", data, source_ip=source_ip())
    catalog().set_query_month_record(agency=agency, system=system, month=month_, record_id=filed.record_id)
    return filed.record_id, len(data["entries"])


def schedule_inspection(actor: Actor, body: dict[str, Any]) -> tuple[Inspection, list[str]]:
    """The audit scheduled (七(二): a month ahead at least) and the addresses notified at once."""
    service = components()
    inspection = inspections.schedule(
        catalog(), actor, agency=str(body.get("agency", "")), audit_on=str(body.get("audit_on", "")),
        team=str(body.get("team", "")), connection_id=str(body.get("connection_id", "") or ""),
        today=service.clock.now().astimezone(TAIPEI).date(), now=service.clock.now(), audit=catalog().audit)
    if service.mailer is None:
        return inspection, []
    due = inspections.answers_due_on(inspection)
    sent = send_notice(catalog(), service.mailer, agency=inspection.agency,
                       subject=f"商工資料使用稽核通知：{format_roc_long(inspection.audit_on)}",
                       body=f"{service.settings.provider_name}將於 {format_roc_long(inspection.audit_on)} 辦理稽核"
                            f"（稽核小組：{inspection.team}），依使用商工資料資通安全管理規範七(四)2，請於 "
                            f"{format_roc_long(due)} 前填覆附件4 自評欄並備妥佐證資料。\n\n"
                            "此信由系統自動寄送，請勿回覆。\n")
    catalog().audit(NewAuditEvent(actor=actor.id, agency=inspection.agency, action="inspection.notice",
                                  detail={"inspection": inspection.id, "sent": sent.sent, "failed": sent.failed,
                                          "no_address": sent.no_address}))
    return inspection, sent.sent
