"""What a connection owes over its life (規範 六(一)2), as due items of the shared shape
``{kind, connection_id, record_id, due_on, title}`` (``querylog/due.py`` has the monthly check's):

- ``renewal``: the 使用期限 of its current 附件1 ends within RENEWAL_NOTICE_DAYS (90), and neither a
  續用 nor a 終止 has been filed — due on the last day of the 使用期限;
- ``yearly-review``: a connection in use has no 附件4 of the agency's own yearly review (自行檢視,
  六(一)2(4)) in the last 12 months — due 12 months after the last one (or after the 使用期限
  began), listed from REVIEW_NOTICE_DAYS (30) before; the provider's audit (七) does not stand for it;
- ``security-test``: a connection in use whose agency set an interval for its security testing
  (its profile's ``security_test_months``: 六(一)2(5) says 定期 only) has no 安全檢測紀錄 within it —
  due that many months after the last one (or after the 使用期限 began), listed from
  REVIEW_NOTICE_DAYS before;
- ``purge``: a terminated connection (its 終止 application filed) has no purge record (清除紀錄) —
  due a month after the 終止日期 (六(一)2(4)), the 資料使用單位's to do.

A terminated connection owes nothing else; a connection not yet agreed (``timeline``) owes nothing.
The audits' items (``audit-answers``, ``finding-reply``) are in ``inspections``, the incidents'
(``incident-report``) in ``incidents``, the monthly query check's in ``querylog.due``; the whole
list, across duties, is ``notify.due.all_due``.  ``DueItem`` is the shape they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..taiwan import add_months, format_roc_short
from .timeline import Connection

RENEWAL_NOTICE_DAYS = 90
REVIEW_NOTICE_DAYS = 30


@dataclass(frozen=True)
class DueItem:
    kind: str
    agency: str
    due_on: date
    title: str
    system: str = ""
    month: str = ""
    connection_id: str | None = None
    record_id: str | None = None
    remind: tuple[str, ...] = ()  # user names of the people this is for
    draft_id: str | None = None  # a filing waiting, as a draft, for its first signer

    def overdue(self, today: date) -> bool:
        return self.due_on < today

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "connection_id": self.connection_id, "record_id": self.record_id,
                "draft_id": self.draft_id,
                "due_on": self.due_on.isoformat(), "title": self.title, "agency": self.agency,
                "system": self.system, "month": self.month}


def sort_due(items: list[DueItem], today: date) -> list[DueItem]:
    """Overdue first, then by date."""
    return sorted(items, key=lambda i: (not i.overdue(today), i.due_on, i.kind, i.system))


def due_of(found: Connection, today: date, *, security_test_months: int | None = None) -> list[DueItem]:
    """What an agreed connection owes; one its parties have not agreed to owes nothing yet (a 附件1
    naming another agency puts nothing on that agency's list).  ``security_test_months`` is the
    資料使用單位's own interval for its security testing (None: it set none, nothing is reminded)."""
    if not found.agreed:
        return []
    state = found.state(today)
    agency = found.applicant.get("code", "")
    if found.terminated_on is not None:
        due_on = found.purge_due_on
        if found.purged_at is not None or due_on is None:
            return []
        return [DueItem("purge", found.user_unit.get("code", "") or agency, due_on,
                        f"{found.system} 已於 {format_roc_short(found.terminated_on)} 終止：請於 "
                        f"{format_roc_short(due_on)} 前清除資料並歸檔清除紀錄（規範六(一)2(4)）",
                        found.system, connection_id=found.id, record_id=found.termination)]
    items = []
    if found.period_end is not None and found.period_end - today <= timedelta(days=RENEWAL_NOTICE_DAYS):
        items.append(DueItem("renewal", agency, found.period_end,
                             f"{found.system} 使用期限 {format_roc_short(found.period_end)} 屆滿：請申請續用或終止",
                             found.system, connection_id=found.id, record_id=found.current_application))
    if state == "active":
        reviews = found.of_kind("review")
        since = reviews[-1].created_at.date() if reviews else found.period_start
        if since is not None:
            due_on = add_months(since, 12)
            if due_on - today <= timedelta(days=REVIEW_NOTICE_DAYS):
                # The yearly review is the 資料使用單位's own: the item is its to do.
                items.append(DueItem("yearly-review", found.user_unit.get("code", "") or agency, due_on,
                                     f"{found.system} 每年自行檢視（附件4，規範六(一)2(4)）", found.system,
                                     connection_id=found.id))
        tests = found.of_kind("security-test")
        since = tests[-1].created_at.date() if tests else found.period_start
        if security_test_months and since is not None:
            due_on = add_months(since, security_test_months)
            if due_on - today <= timedelta(days=REVIEW_NOTICE_DAYS):
                items.append(DueItem("security-test", found.user_unit.get("code", "") or agency, due_on,
                                     f"{found.system} 定期安全檢測（本機關設定每 {security_test_months} 個月；"
                                     "規範六(一)2(5)）", found.system, connection_id=found.id))
    return items
