"""The catalog: which records exist, their versions in the object store, the audit log, drafts,
agency profiles and retried requests.  Other concerns keep their own rows (see ``repositories.py``)."""

from ..db.guard import CatalogUnavailable
from .protocol import AuditLog, IdempotencyKeys, RecordCatalog, WorkCatalog
from .sql import SqlRecords
from .values import (
    AgencyProfile,
    AuditEvent,
    AuditSeal,
    ConnectionAck,
    ConnectionMember,
    Draft,
    IdempotencyKey,
    NewAuditEvent,
    NewAuditSeal,
    NewRecord,
    NewTombstone,
    NewVersion,
    Record,
    RecordFilter,
    SetAsideObject,
    Tombstone,
    Version,
)

__all__ = [
    "AgencyProfile", "AuditEvent", "AuditLog", "AuditSeal", "CatalogUnavailable", "ConnectionAck",
    "ConnectionMember", "Draft", "IdempotencyKey", "IdempotencyKeys", "NewAuditEvent", "NewAuditSeal", "NewRecord",
    "NewTombstone", "NewVersion", "Record", "RecordCatalog", "RecordFilter", "SetAsideObject", "SqlRecords",
    "Tombstone", "Version", "WorkCatalog",
]
