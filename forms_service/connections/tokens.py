"""A business system's token, bound to its connection (介接案): the system reports the queries of
one agreed connection, whose 資料使用單位 is the token's agency and whose system it names.  Events
posted with it are checked against that connection only (``querylog.month.connection_of``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..access.tokens import create_token, require_agency_code
from ..access.values import AccessCatalog
from ..errors import InputError
from .timeline import ConnectionRecords, connection


class TokenCatalog(ConnectionRecords, AccessCatalog, Protocol):
    """What binding a token reads and writes."""


def create_system_token(catalog: TokenCatalog, *, agency: str, connection_id: str, system: str = "",
                        label: str = "", allow: tuple[str, ...] = (), expires_at: datetime | None = None) -> str:
    """A new system token for ``connection_id`` (shown once), or ``InputError`` naming the field: the
    connection must be agreed and ``agency`` its 資料使用單位; ``system``, when given, its system."""
    agency = require_agency_code(agency)
    connection_id = connection_id.strip()
    if not connection_id:
        raise InputError("請指定此系統所屬的介接案（--connection，介接案編號）", details={"field": "connection"})
    found = connection(catalog, connection_id, agency=agency)
    if found is None or found.user_unit.get("code") != agency:
        raise InputError(f"{agency} 不是介接案 {connection_id} 的資料使用單位：系統權杖只能發給介接案的資料使用單位",
                         details={"field": "connection"})
    if not found.agreed:
        raise InputError("此介接案尚未經資料提供機關審核同意（會簽附件2）並經資料使用單位確認，不能發系統權杖",
                         details={"field": "connection"})
    if system.strip() and system.strip() != found.system:
        raise InputError(f"此介接案的系統是「{found.system}」，不是「{system.strip()}」", details={"field": "system"})
    return create_token(catalog, agency=agency, role="system", label=label, allow=allow, expires_at=expires_at,
                        system=found.system, connection_id=found.id)
