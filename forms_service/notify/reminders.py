"""The daily reminder digest: each person with something due gets one mail a day listing it,
overdue first — the 查核人員 his months to sign off and feeds that went quiet, the querier the
explanations asked of him.  A person without an e-mail address is skipped (the pages and
``forms-service due`` still show it).  Each (day, person) is claimed in the catalog before sending,
so several processes send it once; a mail that fails is given back and tried at the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from ..access.values import AccessCatalog
from ..clock import Clock
from ..connections.due import DueItem
from ..errors import MailFailed
from ..taiwan import TAIPEI, format_roc_short
from .store import MailClaims

TOPIC = "due-digest"
KIND_NAMES = {"monthly-review": "每月查核", "explanation": "查調者說明", "no-events": "未收到查詢事件",
              "renewal": "使用期限屆滿", "yearly-review": "每年自行檢視", "audit-answers": "稽核自評",
              "finding-reply": "稽核缺失函復", "purge": "終止後資料清除", "incident-report": "資安事件通報",
              "signature": "待簽", "security-test": "定期安全檢測",
              "returned": "退回待修正"}


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass
class ReminderResult:
    sent: list[str] = field(default_factory=list)      # addresses
    already: list[str] = field(default_factory=list)   # sent today by another run
    no_address: list[str] = field(default_factory=list)  # user names without an e-mail
    failed: list[str] = field(default_factory=list)    # "address: why"


class ReminderCatalog(MailClaims, AccessCatalog, Protocol):
    """What sending reminders reads and writes."""


def digest(items: list[DueItem], today: date) -> str:
    lines = ["以下事項待辦（使用商工資料資通安全管理規範）：", ""]
    for item in items:
        state = "已逾期" if item.overdue(today) else "期限"
        kind = KIND_NAMES.get(item.kind, item.kind)
        lines.append(f"- [{kind}] {item.title}（{state} {format_roc_short(item.due_on)}）")
    lines += ["", "請登入商工資料表單典藏辦理（待辦事項、查詢紀錄查核、我的查詢說明）。",
              "此信由系統自動寄送，請勿回覆。"]
    return "\n".join(lines) + "\n"


def send_reminders(catalog: ReminderCatalog, mailer: Mailer, items: Iterable[DueItem], *,
                   clock: Clock) -> ReminderResult:
    today = clock.now().astimezone(TAIPEI).date()
    by_person: dict[str, list[DueItem]] = {}
    for item in items:
        for username in item.remind:
            by_person.setdefault(username, []).append(item)
    result = ReminderResult()
    for username, theirs in sorted(by_person.items()):
        user = catalog.user(username)
        if user is None or not user.email:
            result.no_address.append(username)
            continue
        day = today.isoformat()
        if not catalog.claim_mail(day=day, recipient=user.email, topic=TOPIC, now=clock.now()):
            result.already.append(user.email)
            continue
        overdue = sum(i.overdue(today) for i in theirs)
        subject = f"商工資料使用：{len(theirs)} 項待辦" + (f"（{overdue} 項已逾期）" if overdue else "")
        try:
            mailer.send(user.email, subject, digest(theirs, today))
        except MailFailed as err:
            catalog.release_mail(day=day, recipient=user.email, topic=TOPIC)
            result.failed.append(f"{user.email}: {err.message}")
            continue
        result.sent.append(user.email)
    return result


def send_notice(catalog: ReminderCatalog, mailer: Mailer, *, agency: str | None, subject: str,
                body: str, role: str = "staff") -> ReminderResult:
    """One notice now to each person of ``role`` (of ``agency``, when given) with an e-mail address:
    an agency's staff of an audit scheduled, the provider's people of an incident, …"""
    result = ReminderResult()
    for user in catalog.users():
        if (agency is not None and user.agency != agency) or user.role != role:
            continue
        if not user.email:
            result.no_address.append(user.username)
            continue
        try:
            mailer.send(user.email, subject, body)
        except MailFailed as err:
            result.failed.append(f"{user.email}: {err.message}")
            continue
        result.sent.append(user.email)
    return result
