"""A connection read from its records: the first 附件1 (新申請) roots it, and every record that names
a record of it (``related_record``: a 變更/續用/終止 附件1 naming the one before, a 附件2–5 naming its
附件1) belongs to it.  The records are the evidence and the links are inside them, so the connection
is derived from them, never kept beside them: nothing can be half-written, and a rebuilt catalog
gives the same connections.

Its state (規範 六(一)2): 申請中 until the provider has countersigned a 附件2, then 使用中; 到期 once
the 使用期限 of its current 附件1 (the newest 新申請, 變更 or 續用) has passed; 終止 from a 終止
application's 終止日期; 已清除 once its purge record (清除紀錄) is filed — due a month after the
終止日期 (六(一)2(4)), and marked late when filed after that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..archive.signatures import is_countersigned
from ..catalog import Record, RecordCatalog, RecordFilter
from ..forms.purge_record import purge_due_on
from ..taiwan import TAIPEI, format_roc_short

APPLICATIONS = ("annex1-interface", "annex1-copy")
MEMBER_FORMS = ("annex2-agreement", "annex3-requirements", "annex4-audit-checklist", "annex5-query-log",
                "purge-record", "incident-report")
SEARCHED = 5000  # newest records looked at per form
STATE_NAMES = {"applied": "申請中", "active": "使用中", "expired": "到期", "terminated": "終止", "purged": "已清除"}
KIND_NAMES = {
    "application-new": "附件1 新申請", "application-change": "附件1 變更", "application-renewal": "附件1 續用",
    "application-termination": "附件1 終止", "agreement": "附件2 安全約定書", "requirements": "附件3 作業要求",
    "review": "附件4 稽核紀錄", "register": "附件5 查詢紀錄", "purge": "清除紀錄", "incident": "資安事件紀錄",
}
_FORM_KINDS = {"annex2-agreement": "agreement", "annex3-requirements": "requirements",
               "annex4-audit-checklist": "review", "annex5-query-log": "register", "purge-record": "purge",
               "incident-report": "incident"}


@dataclass(frozen=True)
class Member:
    """One record of a connection, as its timeline shows it."""

    record_id: str
    form_id: str
    kind: str
    created_at: datetime
    title: str
    countersigned: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "form_id": self.form_id, "kind": self.kind,
                "created_at": self.created_at.isoformat(), "title": self.title,
                "countersigned": self.countersigned}


@dataclass(frozen=True)
class Connection:
    id: str  # the record id of its first 附件1
    applicant: dict[str, str]  # 申請介接單位 {name, code}
    user_unit: dict[str, str]  # 資料使用單位 {name, code}
    system: str
    period_start: date | None
    period_end: date | None
    terminated_on: date | None
    current_application: str  # the record id of the 附件1 whose terms hold now
    termination: str | None  # the record id of its 終止 application, once filed
    members: tuple[Member, ...]  # oldest first

    @property
    def countersigned(self) -> bool:
        return any(m.kind == "agreement" and m.countersigned for m in self.members)

    @property
    def purge_due_on(self) -> date | None:
        return purge_due_on(self.terminated_on) if self.terminated_on is not None else None

    @property
    def purged_at(self) -> datetime | None:
        purges = self.of_kind("purge")
        return purges[0].created_at if purges else None

    def late(self) -> list[str]:
        """Sentences naming what this connection did after its deadline."""
        sentences = []
        due, purged, ended = self.purge_due_on, self.purged_at, self.terminated_on
        if due is not None and purged is not None and ended is not None and purged.astimezone(TAIPEI).date() > due:
            sentences.append(f"清除紀錄逾期：終止日期 {format_roc_short(ended)} 後應於 "
                             f"{format_roc_short(due)} 前完成清除並留存紀錄，於 "
                             f"{format_roc_short(purged.astimezone(TAIPEI).date())} 始歸檔（規範六(一)2(4)）")
        return sentences

    def state(self, today: date) -> str:
        if self.terminated_on is not None and self.purged_at is not None:
            return "purged"
        if self.terminated_on is not None and self.terminated_on <= today:
            return "terminated"
        if self.period_end is not None and self.period_end < today:
            return "expired"
        return "active" if self.countersigned else "applied"

    def involves(self, agency: str) -> bool:
        return agency in (self.applicant.get("code"), self.user_unit.get("code"))

    def of_kind(self, kind: str) -> list[Member]:
        return [m for m in self.members if m.kind == kind]

    def as_dict(self, today: date) -> dict[str, Any]:
        return {"id": self.id, "applicant": self.applicant, "user_unit": self.user_unit, "system": self.system,
                "period": {"start": _iso(self.period_start), "end": _iso(self.period_end)},
                "terminated_on": _iso(self.terminated_on), "state": self.state(today),
                "current_application": self.current_application,
                "purge_due_on": _iso(self.purge_due_on), "late": self.late(),
                "records": [m.as_dict() for m in self.members]}


@dataclass(frozen=True)
class _Found:
    """A record as the derivation reads it: applications whole, other forms by reference."""

    id: str
    form_id: str
    created_at: datetime
    title: str
    related: str | None
    input: dict[str, Any]  # an application's (others: empty)
    countersigned: bool = False


def connections(records: RecordCatalog, *, agency: str | None = None) -> list[Connection]:
    """Every connection (that ``agency`` applied for or uses, when given), newest first.

    Applications are read whole (their terms make the connection); a 附件2 with its versions (its
    countersignature); the other forms by reference only — a 附件5's input runs to megabytes."""
    found: list[_Found] = []
    for form_id in APPLICATIONS + ("annex2-agreement",):
        for record in records.find_records(RecordFilter(form_id=form_id, limit=SEARCHED)):
            countersigned = form_id == "annex2-agreement" and record.latest is not None and \
                is_countersigned(record.latest)
            found.append(_Found(record.id, form_id, record.created_at, record.title,
                                record.input.get("related_record"),
                                record.input if form_id in APPLICATIONS else {}, countersigned))
    for form_id in MEMBER_FORMS[1:]:
        found += [_Found(r.id, r.form_id, r.created_at, r.title, r.related_record, {})
                  for r in records.record_references(form_id=form_id, limit=SEARCHED)]
    by_id = {f.id: f for f in found}
    groups: dict[str, list[_Found]] = defaultdict(list)
    for item in found:
        root = _root(item, by_id)
        if root is not None:
            groups[root].append(item)
    built = [_build(root, groups[root]) for root in groups]
    if agency is not None:
        built = [c for c in built if c.involves(agency)]
    return sorted(built, key=lambda c: c.members[0].created_at, reverse=True)


def connection(records: RecordCatalog, connection_id: str, *, agency: str | None = None) -> Connection | None:
    return next((c for c in connections(records, agency=agency) if c.id == connection_id), None)


def connection_id_of(records: RecordCatalog, record: Record) -> str | None:
    """The connection ``record`` belongs to (its first 附件1's id), by following ``related_record``
    back from it — a few reads, not the whole derivation; None for a record of no connection."""
    current: Record | None = record
    seen: set[str] = set()
    while current is not None and current.id not in seen:
        seen.add(current.id)
        data = current.input or {}
        related = data.get("related_record")
        if current.form_id in APPLICATIONS and (data.get("application_type") == "new" or not related):
            return current.id
        current = records.get_record(related) if related else None
    return None


def _root(item: _Found, by_id: dict[str, _Found]) -> str | None:
    seen: set[str] = set()
    current: _Found | None = item
    while current is not None and current.id not in seen:
        seen.add(current.id)
        if current.form_id in APPLICATIONS and (current.input.get("application_type") == "new"
                                                or not current.related):
            return current.id
        current = by_id.get(current.related) if current.related else None
    return None


def _build(root_id: str, members: Iterable[_Found]) -> Connection:
    ordered = sorted(members, key=lambda r: r.created_at)
    root = next(r for r in ordered if r.id == root_id)
    applications = [r for r in ordered if r.form_id in APPLICATIONS]
    current = [r for r in applications if r.input.get("application_type") != "termination"][-1]
    ended = [r for r in applications if r.input.get("application_type") == "termination"
             and r.created_at >= current.created_at]
    period = current.input.get("period") or {}
    host = root.input.get("host") or {}
    return Connection(
        id=root_id, applicant=_party(root.input.get("applicant")), user_unit=_party(root.input.get("user_unit")),
        system=host.get("system_name", "") or root.input.get("system_name", ""),
        period_start=_date(period.get("start")), period_end=_date(period.get("end")),
        terminated_on=_date((ended[-1].input.get("termination") or {}).get("effective_on")) if ended else None,
        current_application=current.id, termination=ended[-1].id if ended else None,
        members=tuple(_member(r) for r in ordered),
    )


def _member(item: _Found) -> Member:
    if item.form_id in APPLICATIONS:
        kind = f"application-{item.input.get('application_type') or 'new'}"
    else:
        kind = _FORM_KINDS[item.form_id]
    return Member(item.id, item.form_id, kind, item.created_at, item.title, item.countersigned)


def _party(value: Any) -> dict[str, str]:
    value = value or {}
    return {"name": str(value.get("name", "")), "code": str(value.get("code", ""))}


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def today_in_taipei(now: datetime) -> date:
    return now.astimezone(TAIPEI).date()
