"""Daily seals of the audit log: each finished Taipei day written to the object store, signed, locked.

The hash chain in the catalog shows that rows were edited, deleted or reordered — as long as the
database survives and nobody rewrote the whole chain.  Sealing closes both gaps: every finished day
becomes a JSON Lines segment (a header, then one entry per line with its chain hashes) and a
detached CMS signature, written under Object Lock retention.  A segment verifies on its own (the
chain can be recomputed line by line); ``Sealer.verify`` also compares it with the database, so an
entry edited after sealing is named even when its chain was recomputed.

Days are sealed in order and back to back: a segment takes every entry after the previous seal up
to the day's end, so no entry falls between two segments.  An empty day gets an empty segment —
the record that nothing happened.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from signing import SigningError
from signing.detached import verify_detached
from storage import ObjectStore, Retention, StorageError

from ..access import LOCAL_OPERATOR, Actor
from ..catalog import AuditEvent, AuditLog, AuditSeal, NewAuditEvent, NewAuditSeal
from ..clock import Clock
from ..errors import SigningFailed, StorageFailed
from ..taiwan import TAIPEI
from .chain import GENESIS, entry_hash

log = logging.getLogger(__name__)

FORMAT = "forms-service-audit-segment/1"
PREFIX = "audit/segments"


def segment_key(day: date) -> str:
    return f"{PREFIX}/{day:%Y}/{day.isoformat()}.jsonl"


class Sealer:
    """Seals finished days into ``store`` and checks them; one per service."""

    def __init__(self, *, log: AuditLog, store: ObjectStore, sign: Callable[[bytes], bytes], lock_mode: str,
                 retention_years: int, trust_roots: list[Any], clock: Clock):
        self.log = log
        self.store = store
        self.sign = sign  # a detached CMS signature (DER) over the bytes
        self.lock_mode = lock_mode
        self.retention_years = retention_years
        self.trust_roots = trust_roots
        self.clock = clock

    def seal_pending(self, *, through: date | None = None, actor: Actor = LOCAL_OPERATOR) -> list[NewAuditSeal]:
        """Seal every finished day not sealed yet, oldest first, up to ``through`` (default: yesterday)."""
        today = self.clock.now().astimezone(TAIPEI).date()
        last_day = min(through or today - timedelta(days=1), today - timedelta(days=1))
        seals = self.log.audit_seals()
        if seals:
            day, after_id, prev_hash = seals[-1].day + timedelta(days=1), seals[-1].last_id, seals[-1].last_hash
        else:
            first = self.log.first_audit_event()
            if first is None:
                return []
            day, after_id, prev_hash = first.at.astimezone(TAIPEI).date(), 0, GENESIS
        sealed: list[NewAuditSeal] = []
        while day <= last_day:
            end = datetime.combine(day + timedelta(days=1), time(), TAIPEI)
            events = self._events_before(after_id, end)
            seal = self._seal_day(day, events, after_id, prev_hash, actor)
            if seal is None:  # another process sealed it first: continue after its seal
                return sealed + self.seal_pending(through=through, actor=actor)
            sealed.append(seal)
            day, after_id, prev_hash = day + timedelta(days=1), seal.last_id, seal.last_hash
        return sealed

    def _events_before(self, after_id: int, end: datetime) -> list[AuditEvent]:
        # An entry's time is taken while the chain's head is locked, so times grow with ids and
        # "after the last seal, before the day's end" is a contiguous run of the chain.
        events: list[AuditEvent] = []
        while True:
            batch = self.log.audit_events_after(events[-1].id if events else after_id, before=end)
            if not batch:
                return events
            events += batch

    def _seal_day(self, day: date, events: list[AuditEvent], after_id: int, prev_hash: str,
                  actor: Actor) -> NewAuditSeal | None:
        last_id = events[-1].id if events else after_id
        last_hash = events[-1].hash if events else prev_hash
        data = segment_bytes(day, events, after_id=after_id, prev_hash=prev_hash)
        try:
            signature = self.sign(data)
        except SigningError as err:
            raise SigningFailed(f"the audit segment of {day} could not be signed: {err}") from err
        now = self.clock.now()
        retain_until = datetime.combine(day, time(), timezone.utc) + timedelta(days=366 * self.retention_years)
        retention = Retention(self.lock_mode, max(retain_until, now + timedelta(days=1)))  # type: ignore[arg-type]
        metadata = {"kind": "audit-segment", "day": day.isoformat(), "last-id": str(last_id), "last-hash": last_hash}
        key = segment_key(day)
        try:
            stored = self.store.put(key, data, content_type="application/x-ndjson", metadata=metadata,
                                    retention=retention)
            stored_signature = self.store.put(key + ".p7s", signature, content_type="application/pkcs7-signature",
                                              metadata=metadata, retention=retention)
        except StorageError as err:
            raise StorageFailed(f"the audit segment of {day} could not be stored: {err}") from err
        seal = NewAuditSeal(
            day=day, first_id=events[0].id if events else last_id + 1, last_id=last_id, count=len(events),
            prev_hash=prev_hash, last_hash=last_hash, object_key=key, object_version=stored.version_id,
            sha256=hashlib.sha256(data).hexdigest(), signature_key=key + ".p7s",
            signature_version=stored_signature.version_id, retain_until=retention.until, sealed_at=now,
        )
        added = self.log.add_audit_seal(seal, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="audit.seal",
            detail={"day": day.isoformat(), "entries": len(events), "sha256": seal.sha256, "object_key": key}))
        return seal if added else None

    def verify(self) -> SealCheck:
        """Read every sealed segment back: signature, the chain inside it, the link to the previous
        day, and the database's rows against it."""
        problems: list[str] = []
        entries = 0
        previous: AuditSeal | None = None
        seals = self.log.audit_seals()
        for seal in seals:
            where = f"sealed day {seal.day}"
            if previous is not None and seal.prev_hash != previous.last_hash:
                problems.append(f"{where} does not continue the chain of {previous.day}")
            previous = seal
            try:
                data = self.store.get(seal.object_key, seal.object_version)
                signature = self.store.get(seal.signature_key, seal.signature_version)
            except StorageError as err:
                problems.append(f"{where}: cannot be read from the store ({err})")
                continue
            if hashlib.sha256(data).hexdigest() != seal.sha256:
                problems.append(f"{where}: the segment's sha256 differs from the seal's")
            if not verify_detached(data, signature, self.trust_roots).ok:
                problems.append(f"{where}: the segment's signature does not verify or is not trusted")
            header, lines = read_segment(data)
            problems += _chain_problems(where, header, lines)
            entries += len(lines)
            if lines:
                problems += _database_problems(self.log, where, lines)
        return SealCheck(len(seals), entries, problems)


def segment_bytes(day: date, events: list[AuditEvent], *, after_id: int, prev_hash: str) -> bytes:
    """A day's segment (format ``forms-service-audit-segment/1``, kept for decades: add fields,
    never change one): a header line, then each entry with its chain hashes, JSON with sorted keys."""
    header = {"format": FORMAT, "day": day.isoformat(), "timezone": "Asia/Taipei", "count": len(events),
              "first_id": events[0].id if events else None, "last_id": events[-1].id if events else after_id,
              "prev_hash": prev_hash, "last_hash": events[-1].hash if events else prev_hash}
    lines = [json.dumps(header, ensure_ascii=False, sort_keys=True)]
    lines += [json.dumps(_entry(e), ensure_ascii=False, sort_keys=True) for e in events]
    return ("\n".join(lines) + "\n").encode()


def read_segment(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A segment's header and its entries."""
    segment = [json.loads(line) for line in data.decode().splitlines()]
    return segment[0], segment[1:]


def chain_problems(where: str, header: dict[str, Any], lines: list[dict[str, Any]]) -> list[str]:
    """Whether a segment's entries chain from its header's ``prev_hash`` to its ``last_hash``."""
    return _chain_problems(where, header, lines)


def _entry(row: AuditEvent) -> dict[str, Any]:
    return {
        "id": row.id, "at": row.at.astimezone(timezone.utc).isoformat(timespec="microseconds"), "actor": row.actor,
        "agency": row.agency, "action": row.action, "outcome": row.outcome, "record_id": row.record_id,
        "version": row.version, "source_ip": row.source_ip, "detail": row.detail or {},
        "prev_hash": row.prev_hash, "hash": row.hash,
    }


@dataclass(frozen=True)
class SealCheck:
    days: int
    entries: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _chain_problems(where: str, header: dict[str, Any], lines: list[dict[str, Any]]) -> list[str]:
    previous = header["prev_hash"]
    for line in lines:
        computed = entry_hash(previous, at=datetime.fromisoformat(line["at"]), actor=line["actor"],
                              agency=line["agency"], action=line["action"], outcome=line["outcome"],
                              record_id=line["record_id"], version=line["version"], source_ip=line["source_ip"],
                              detail=line["detail"])
        if line["prev_hash"] != previous or computed != line["hash"]:
            return [f"{where}: entry {line['id']} in the segment does not match its chain hash"]
        previous = line["hash"]
    if previous != header["last_hash"]:
        return [f"{where}: the segment ends at another hash than its header says"]
    return []


def _database_problems(log: AuditLog, where: str, lines: list[dict[str, Any]]) -> list[str]:
    """Rows changed, missing or added since sealing; an edit whose chain was recomputed shows as
    the edited entry (named with the fields changed) plus one line for the rehashed ones after it."""
    rows = {row.id: row for row in log.audit_events_between(lines[0]["id"], lines[-1]["id"])}
    problems: list[str] = []
    rehashed: list[int] = []
    for line in lines:
        row = rows.pop(line["id"], None)
        if row is None:
            problems.append(f"entry {line['id']} ({line['action']}) is in the {where} but missing from the database")
            continue
        changed = sorted(k for k, v in _entry(row).items() if line.get(k) != v and k not in ("hash", "prev_hash"))
        if changed:
            problems.append(f"entry {line['id']} ({line['action']}) differs from the {where} "
                            f"(changed in the database after sealing: {', '.join(changed)})")
        elif (row.hash, row.prev_hash) != (line["hash"], line["prev_hash"]):
            rehashed.append(line["id"])
    if rehashed:
        problems.append(f"{len(rehashed)} entries from {rehashed[0]} on carry other chain hashes than the {where}: "
                        "the chain was recomputed after sealing")
    for row_id in sorted(rows):
        problems.append(f"entry {row_id} is in the database but not in the {where}: inserted after sealing")
    return problems
