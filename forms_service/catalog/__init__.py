"""The catalog: which records exist, their versions in the object store, tokens, users and the audit log."""

from ..db.guard import CatalogUnavailable
from .protocol import (
    AccessCatalog,
    AuditLog,
    Batches,
    Catalog,
    IdempotencyKeys,
    Oversight,
    QueryEventLog,
    QueryReview,
    RecordCatalog,
    WorkCatalog,
)
from .sql import SqlCatalog
from .values import (
    AgencyProfile,
    ApiToken,
    AuditEvent,
    AuditSeal,
    Batch,
    BatchEntry,
    ConnectionAck,
    ConnectionMember,
    Draft,
    IdempotencyKey,
    Incident,
    Inspection,
    InspectionFinding,
    InspectionItem,
    NewAuditEvent,
    NewAuditSeal,
    NewQueryEvent,
    NewRecord,
    NewTombstone,
    NewVersion,
    QueryEvent,
    QueryFlagReview,
    QueryMonth,
    QueryReviewer,
    Record,
    RecordFilter,
    SetAsideObject,
    Tombstone,
    User,
    Version,
    WebSession,
)

__all__ = [
    "AccessCatalog", "AgencyProfile", "ApiToken", "AuditEvent", "AuditLog", "AuditSeal", "Batch", "BatchEntry",
    "Batches", "Catalog", "ConnectionAck", "ConnectionMember",
    "CatalogUnavailable", "Draft", "IdempotencyKey", "IdempotencyKeys", "Incident", "Inspection", "InspectionFinding",
    "InspectionItem", "NewAuditEvent", "NewAuditSeal", "Oversight",
    "NewQueryEvent", "NewRecord", "NewTombstone", "NewVersion", "QueryEvent", "QueryEventLog", "QueryFlagReview",
    "QueryMonth", "QueryReview", "QueryReviewer", "Record", "RecordCatalog", "RecordFilter",
    "SetAsideObject", "SqlCatalog", "Tombstone", "User", "Version", "WebSession", "WorkCatalog",
]
