"""Reading a connection: scoped to the reader's agency (the provider and administrators read any)
and written into the audit log, for the API and the pages alike."""

from __future__ import annotations

from typing import Protocol

from ..access import Actor
from ..access.policy import Action, require
from ..catalog import AuditLog, NewAuditEvent
from ..errors import NotFound
from .timeline import Connection, ConnectionRecords, connection


class ConnectionReadCatalog(ConnectionRecords, AuditLog, Protocol):
    """What reading a connection asks: its records, and the audit log."""


def visible_connection(records: ConnectionRecords, actor: Actor, connection_id: str) -> Connection:
    """The connection, if ``actor`` may see it; ``NotFound`` alike when it does not exist or is another's."""
    require(actor, Action.READ_CONNECTIONS)
    found = connection(records, connection_id, agency=actor.scope)
    if found is None:
        raise NotFound(f"找不到此介接案，或您無權檢視 (no connection {connection_id} that you may see)",
                       details={"connection_id": connection_id})
    return found


def read_connection(records: ConnectionReadCatalog, actor: Actor, connection_id: str, *, source_ip: str = "",
                    via: str = "") -> Connection:
    """``visible_connection``, its reading audited."""
    found = visible_connection(records, actor, connection_id)
    records.audit(NewAuditEvent(actor=actor.id, agency=actor.agency, action="connection.read", source_ip=source_ip,
                                detail={"connection": connection_id, **({"via": via} if via else {})}))
    return found
