"""A connection (介接案) read from its records: the first 附件1 (新申請) roots it, and every record that
names a record of it (``related_record``: a 變更/續用/終止 附件1 naming the one before, a 附件2–5 naming
its 附件1) belongs to it.  Each record carries its connection's id from the moment it is filed
(``Record.connection_id``, indexed), so a connection's records, an agency's connections and a
system's connection are found by query — correct whatever the archive's size.  The records are the
evidence and the links are inside them, so the connection is derived from them, never kept beside
them: nothing can be half-written, and a rebuilt catalog gives the same connections.

Its parties (規範 六(一)2): the 申請介接單位 (who applied, and files its 附件1–3), the 資料使用單位 (who
uses the data, and files its 附件4–5) and the data provider.  A connection is **agreed** once the
provider has countersigned its 附件2 *and* the 資料使用單位 has taken part — it applied itself, filed
a record of the connection, or acknowledged it on its page.  Only an agreed connection governs a
system's query log, its flags and its duties: a 附件1 one agency files naming another changes
nothing for that other agency until it and the provider take part.

Its state: 申請中 until agreed, then 使用中; 到期 once the 使用期限 of its current 附件1 (the newest
新申請, 變更 or 續用) has passed; 終止 from a 終止 application's 終止日期; 已清除 once its purge record
(清除紀錄) is filed — due a month after the 終止日期 (六(一)2(4)), and marked late when filed after that.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from ..catalog import ConnectionAck, ConnectionMember, Record
from ..forms.purge_record import purge_due_on
from ..taiwan import TAIPEI, format_roc_short

APPLICATIONS = ("annex1-interface", "annex1-copy")
STATE_NAMES = {"applied": "申請中", "active": "使用中", "expired": "到期", "terminated": "終止", "purged": "已清除"}
KIND_NAMES = {
    "application-new": "附件1 新申請", "application-change": "附件1 變更", "application-renewal": "附件1 續用",
    "application-termination": "附件1 終止", "agreement": "附件2 安全約定書", "requirements": "附件3 作業要求",
    "review": "附件4 自行檢視", "audit": "附件4 稽核（資料提供機關）", "register": "附件5 查詢紀錄",
    "purge": "清除紀錄", "incident": "資安事件紀錄", "security-test": "安全檢測紀錄",
}
_FORM_KINDS = {"annex2-agreement": "agreement", "annex3-requirements": "requirements",
               "annex4-audit-checklist": "review", "annex5-query-log": "register", "purge-record": "purge",
               "incident-report": "incident", "security-test": "security-test"}


_FORM_ORDER = {form_id: rank for rank, form_id in enumerate(APPLICATIONS + tuple(_FORM_KINDS))}


class ConnectionRecords(Protocol):
    """What reading connections asks of the catalog (``RecordCatalog`` has it)."""

    def connection_ids(self, *, agency: str | None = None, user_unit: str | None = None,
                       system: str | None = None) -> list[str]: ...

    def connection_members(self, connection_ids: list[str]) -> list[ConnectionMember]: ...

    def connection_acks(self, connection_ids: list[str]) -> list[ConnectionAck]: ...


@dataclass(frozen=True)
class Member:
    """One record of a connection, as its timeline shows it."""

    record_id: str
    form_id: str
    kind: str
    created_at: datetime
    title: str
    countersigned: bool = False
    agency_code: str = ""  # the agency it was filed for

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
    users: tuple[dict[str, Any], ...] = ()  # the 使用者 of its current 附件1
    acknowledged_at: datetime | None = None  # the 資料使用單位's acknowledgement on its page, if any

    @property
    def countersigned(self) -> bool:
        return any(m.kind == "agreement" and m.countersigned for m in self.members)

    @property
    def unit_took_part(self) -> bool:
        """The 資料使用單位 is a party that knows it: it applied, filed a record of it, or acknowledged it."""
        unit = self.user_unit.get("code", "")
        return bool(unit) and (self.acknowledged_at is not None or any(m.agency_code == unit for m in self.members))

    @property
    def agreed(self) -> bool:
        """Approved by the provider (its 附件2 countersigned) and known to the 資料使用單位: only then
        does it govern the system's query log and duties."""
        return self.countersigned and self.unit_took_part

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
        return "active" if self.agreed else "applied"

    def involves(self, agency: str) -> bool:
        return agency in (self.applicant.get("code"), self.user_unit.get("code"))

    def of_kind(self, kind: str) -> list[Member]:
        return [m for m in self.members if m.kind == kind]

    def as_dict(self, today: date) -> dict[str, Any]:
        return {"id": self.id, "applicant": self.applicant, "user_unit": self.user_unit, "system": self.system,
                "period": {"start": _iso(self.period_start), "end": _iso(self.period_end)},
                "terminated_on": _iso(self.terminated_on), "state": self.state(today),
                "approved": self.countersigned, "user_unit_took_part": self.unit_took_part,
                "agreed": self.agreed, "current_application": self.current_application,
                "purge_due_on": _iso(self.purge_due_on), "late": self.late(),
                "records": [m.as_dict() for m in self.members]}


def connections(records: ConnectionRecords, *, agency: str | None = None) -> list[Connection]:
    """Every connection (that ``agency`` applied for or is the 資料使用單位 of, when given), newest first."""
    return _read(records, records.connection_ids(agency=agency))


def connection(records: ConnectionRecords, connection_id: str, *, agency: str | None = None) -> Connection | None:
    """The connection (when ``agency``, given, is one of its parties), or None."""
    found = _read(records, [connection_id])
    if not found or (agency is not None and not found[0].involves(agency)):
        return None
    return found[0]


def governing_connection(records: ConnectionRecords, *, agency: str, system: str) -> Connection | None:
    """The agreed connection whose 資料使用單位 is ``agency`` and whose system is ``system`` — the newest
    when several were agreed over the years — which the system's query log is checked against; None
    when there is none.  Connections nobody agreed to are never it, whoever filed them."""
    return next((c for c in _read(records, records.connection_ids(user_unit=agency, system=system)) if c.agreed),
                None)


def connection_id_of(record: Record) -> str | None:
    """The connection ``record`` belongs to (its first 附件1's id); None for a record of no connection."""
    return record.connection_id or None


def _read(records: ConnectionRecords, ids: list[str]) -> list[Connection]:
    if not ids:
        return []
    groups: dict[str, list[ConnectionMember]] = defaultdict(list)
    for member in records.connection_members(ids):
        groups[member.connection_id].append(member)
    acks: dict[str, ConnectionAck] = {}
    for ack in records.connection_acks(ids):
        acks.setdefault(ack.connection_id, ack)
    built = []
    for connection_id in ids:  # newest first, as the ids are
        members = groups.get(connection_id)
        root = next((m for m in members or () if m.id == connection_id), None)
        if root is None:  # disposed, or not a connection's first 附件1
            continue
        built.append(_build(root, members or [], acks.get(connection_id)))
    return built


def _build(root: ConnectionMember, members: list[ConnectionMember], ack: ConnectionAck | None) -> Connection:
    # Records filed at the same moment (a test's clock, a batch) keep the forms' order.
    ordered = sorted(members, key=lambda r: (r.created_at, _FORM_ORDER.get(r.form_id, 99), r.id))
    applications = [r for r in ordered if r.form_id in APPLICATIONS]
    current = [r for r in applications if r.input.get("application_type") != "termination"][-1]
    ended = [r for r in applications if r.input.get("application_type") == "termination"
             and r.created_at >= current.created_at]
    period = current.input.get("period") or {}
    host = root.input.get("host") or {}
    user_unit = _party(root.input.get("user_unit"))
    return Connection(
        id=root.id, applicant=_party(root.input.get("applicant")), user_unit=user_unit,
        system=host.get("system_name", "") or root.input.get("system_name", ""),
        period_start=_date(period.get("start")), period_end=_date(period.get("end")),
        terminated_on=_date((ended[-1].input.get("termination") or {}).get("effective_on")) if ended else None,
        current_application=current.id, termination=ended[-1].id if ended else None,
        members=tuple(_member(r) for r in ordered), users=tuple(current.input.get("users") or ()),
        acknowledged_at=ack.at if ack is not None and ack.agency == user_unit["code"] else None,
    )


def _member(item: ConnectionMember) -> Member:
    if item.form_id in APPLICATIONS:
        kind = f"application-{item.input.get('application_type') or 'new'}"
    elif item.form_id == "annex4-audit-checklist" and item.review_kind == "audit":
        kind = "audit"  # the provider's audit (七): not the agency's own yearly review
    else:
        kind = _FORM_KINDS.get(item.form_id, item.form_id)
    return Member(item.id, item.form_id, kind, item.created_at, item.title, item.countersigned, item.agency_code)


def _party(value: Any) -> dict[str, str]:
    value = value or {}
    return {"name": str(value.get("name", "")), "code": str(value.get("code", ""))}


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def today_in_taipei(now: datetime) -> date:
    return now.astimezone(TAIPEI).date()
