"""The catalog: which records exist, their versions in the object store, tokens, users and the audit log."""

from .guard import CatalogUnavailable
from .protocol import AccessCatalog, AuditLog, Catalog, IdempotencyKeys, RecordCatalog
from .sql import SqlCatalog
from .values import (
    ApiToken,
    AuditEvent,
    AuditSeal,
    IdempotencyKey,
    NewAuditEvent,
    NewAuditSeal,
    NewRecord,
    NewTombstone,
    NewVersion,
    Record,
    RecordFilter,
    Tombstone,
    User,
    Version,
    WebSession,
)

__all__ = [
    "AccessCatalog", "ApiToken", "AuditEvent", "AuditLog", "AuditSeal", "Catalog", "CatalogUnavailable",
    "IdempotencyKey", "IdempotencyKeys", "NewAuditEvent", "NewAuditSeal", "NewRecord", "NewTombstone", "NewVersion",
    "Record", "RecordCatalog", "RecordFilter", "SqlCatalog", "Tombstone", "User", "Version", "WebSession",
]
