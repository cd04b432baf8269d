"""The catalog: which records exist, their versions in the object store, tokens and audit events."""

from .models import ApiToken, AuditEvent, Record, Version
from .protocol import Catalog, NewAuditEvent, NewRecord, NewVersion, RecordFilter
from .sql import SqlCatalog

__all__ = ["ApiToken", "AuditEvent", "Catalog", "NewAuditEvent", "NewRecord", "NewVersion", "Record", "RecordFilter", "SqlCatalog", "Version"]
