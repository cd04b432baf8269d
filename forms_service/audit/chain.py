"""The audit log's hash chain: how an entry's hash is computed (stable: changing it breaks old logs).

Pure: the catalog uses it to chain each entry it writes, the sealed days to recompute a chain from
a segment alone, without any database."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

GENESIS = "0" * 64


def entry_hash(prev_hash: str, *, at: datetime, actor: str, agency: str, action: str, outcome: str,
               record_id: str, version: int | None, source_ip: str, detail: Any) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    content = {
        "at": at.astimezone(timezone.utc).isoformat(timespec="microseconds"), "actor": actor, "agency": agency,
        "action": action, "outcome": outcome, "record_id": record_id, "version": version,
        "source_ip": source_ip, "detail": detail or {},
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + canonical).encode()).hexdigest()


def row_hash(prev_hash: str, row: Any) -> str:
    """``entry_hash`` of anything carrying an entry's fields: a catalog row, a read entry, a migration's row."""
    return entry_hash(prev_hash, at=row.at, actor=row.actor, agency=row.agency, action=row.action, outcome=row.outcome,
                      record_id=row.record_id, version=row.version, source_ip=row.source_ip, detail=row.detail)
