"""The parties of a connection taking part (規範 六(一)2): the 資料使用單位 acknowledging a connection
another agency applied for naming it, and every party hearing of a termination it did not file.

A connection governs a system's query log only once its parties agree (``timeline``); these are
the steps that make or tell of that agreement.  Mail goes through ``notify`` — ``(agency or None
for the data provider's people, subject, body)`` — which the edges wire to the SMTP notices.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol

from ..access import Actor, Role
from ..catalog import ConnectionAck, NewAuditEvent
from ..errors import Forbidden, NotFound
from ..taiwan import format_roc_short
from .timeline import Connection, ConnectionRecords, connection

Notify = Callable[[str | None, str, str], None]
_FOOTER = "\n\n此信由系統自動寄送，請勿回覆。\n"


class AckCatalog(ConnectionRecords, Protocol):
    def add_connection_ack(self, ack: ConnectionAck, event: NewAuditEvent) -> bool: ...


def acknowledge(catalog: AckCatalog, actor: Actor, connection_id: str, *, now: datetime, notify: Notify,
                source_ip: str = "") -> Connection:
    """The 資料使用單位's staff acknowledge the connection as theirs (once; again changes nothing);
    the 申請介接單位 hears of it."""
    found = connection(catalog, connection_id, agency=actor.scope)
    if found is None:
        raise NotFound(f"找不到介接案 {connection_id}，或您無權檢視", details={"connection_id": connection_id})
    unit = found.user_unit.get("code", "")
    if actor.role is not Role.ADMIN and (actor.role is not Role.STAFF or actor.agency != unit):
        raise Forbidden("只有此介接案的資料使用單位承辦人可以確認此介接案")
    if found.unit_took_part:
        return found
    added = catalog.add_connection_ack(
        ConnectionAck(connection_id=found.id, agency=unit, by=actor.id, at=now),
        NewAuditEvent(actor=actor.id, agency=actor.agency, action="connection.acknowledge", record_id=found.id,
                      source_ip=source_ip, detail={"connection": found.id, "user_unit": unit}))
    if added and found.applicant.get("code") not in ("", unit):
        notify(found.applicant["code"], f"資料使用單位已確認介接案：{found.system}",
               f"{found.user_unit.get('name') or unit}已確認 {found.system} 之商工資料介接案為其所使用。"
               "資料提供機關會簽附件2後，此介接案即開始適用（查詢紀錄之查核、年度自行檢視等）。" + _FOOTER)
    return connection(catalog, connection_id) or found


def tell_of_termination(found: Connection, *, effective_on: str, letter: str, by_provider: bool,
                        provider_name: str, notify: Notify) -> None:
    """Every party but the one that filed it hears of a connection's termination: the 資料使用單位
    and the provider of an agency's 終止; both agencies of the provider's stop."""
    ends = format_roc_short(date.fromisoformat(effective_on))
    purge = ("依使用商工資料資通安全管理規範六(一)2(4)，終止後一個月內應清除介接所得之商工資料，"
             "並於系統歸檔清除紀錄。")
    if by_provider:
        subject = f"商工資料介接終止通知：{found.system}"
        body = f"{provider_name}以 {letter} 函終止 {found.system} 之商工資料介接，終止日期 {ends}。{purge}"
        recipients: list[str | None] = [found.applicant.get("code", ""), found.user_unit.get("code", "")]
    else:
        subject = f"介接案申請終止：{found.system}"
        body = (f"{found.applicant.get('name') or found.applicant.get('code')}已申請終止 {found.system} 之商工資料"
                f"介接，終止日期 {ends}。{purge}")
        unit = found.user_unit.get("code", "")
        recipients = [unit if unit != found.applicant.get("code") else "", None]
    for agency in dict.fromkeys(r for r in recipients if r != ""):
        notify(agency, subject, body + _FOOTER)
