"""The catalog entry written beside each stored PDF (``v<N>.json``) — its writer and its reader —
and the note of objects set aside (``set-aside-<id>.json``) beside them.

The entry holds everything the catalog row holds, under the same retention as the PDF, so the
catalog can be recreated from the store alone (``integrity.rebuild``).  The note says which object
versions in its folder are no record's (an interrupted filing's, or one beaten by another worker),
so a rebuilt catalog neither takes them for records nor reports them as orphans.  Both formats are
read back years later: add fields, never rename or drop one.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from ..catalog import NewRecord, NewVersion, Record, SetAsideObject

# Fields of a version that say where its entry is: known only after the entry is stored.
_DERIVED = ("entry_object_key", "entry_object_version")


def write_entry(record: NewRecord, version: NewVersion) -> bytes:
    version_data = _plain(version)
    for derived in _DERIVED:
        version_data.pop(derived)
    return json.dumps({"record": _plain(record), "version": version_data}, ensure_ascii=False, indent=1).encode()


def read_entry(data: bytes, *, key: str, version_id: str) -> tuple[NewRecord, NewVersion]:
    """The record and version of an entry stored at ``key`` (version ``version_id``)."""
    entry = json.loads(data)
    r, v = entry["record"], entry["version"]
    record = NewRecord(
        id=r["id"], form_id=r["form_id"], agency_name=r["agency_name"], agency_code=r["agency_code"],
        user_unit_name=r["user_unit_name"], title=r["title"], period_start=_date(r.get("period_start")),
        period_end=_date(r.get("period_end")), input=r["input"], created_at=datetime.fromisoformat(r["created_at"]),
        created_by=r["created_by"], subjects=tuple(r.get("subjects", ())),
        # Entries written before connections were indexed lack these: ``integrity.rebuild`` derives them.
        connection_id=r.get("connection_id", ""), user_unit_code=r.get("user_unit_code", ""),
        system_name=r.get("system_name", ""), signing_order=tuple(r.get("signing_order", ())),
    )
    version = NewVersion(
        number=v["number"], object_key=v["object_key"], object_version=v["object_version"], sha256=v["sha256"],
        size=v["size"], pages=v["pages"], signatures=v["signatures"], signature_report=v["signature_report"],
        retention_mode=v["retention_mode"],
        retain_until=datetime.fromisoformat(v["retain_until"]) if v.get("retain_until") else None,
        created_at=datetime.fromisoformat(v["created_at"]), reason=v.get("reason", ""),
        revision_hashes=tuple(v.get("revision_hashes", ())), entry_object_key=key, entry_object_version=version_id,
        pdfa=v.get("pdfa", {}),
    )
    return record, version


SET_ASIDE_PREFIX = "set-aside-"


def set_aside_note_key(folder: str, note_id: str) -> str:
    return f"{folder}/{SET_ASIDE_PREFIX}{note_id}.json"


def is_set_aside_note(key: str) -> bool:
    return key.rsplit("/", 1)[-1].startswith(SET_ASIDE_PREFIX) and key.endswith(".json")


def write_set_aside(objects: list[SetAsideObject]) -> bytes:
    return json.dumps({"set_aside": [_plain(o) for o in objects]}, ensure_ascii=False, indent=1).encode()


def read_set_aside(data: bytes) -> list[SetAsideObject]:
    return [SetAsideObject(key=o["key"], version_id=o["version_id"], record_id=o["record_id"], reason=o["reason"],
                           recorded_at=datetime.fromisoformat(o["recorded_at"]))
            for o in json.loads(data)["set_aside"]]


def record_entry(record: Record) -> NewRecord:
    """The immutable fields of a catalogued record, as written beside each of its versions."""
    return NewRecord(
        id=record.id, form_id=record.form_id, agency_name=record.agency_name, agency_code=record.agency_code,
        user_unit_name=record.user_unit_name, title=record.title, period_start=record.period_start,
        period_end=record.period_end, input=record.input, created_at=record.created_at,
        created_by=record.created_by, subjects=record.subjects, connection_id=record.connection_id,
        user_unit_code=record.user_unit_code, system_name=record.system_name, signing_order=record.signing_order,
    )


def _plain(obj: Any) -> dict[str, Any]:
    data = {f.name: getattr(obj, f.name) for f in fields(obj)}
    return {k: (v.isoformat() if isinstance(v, (date, datetime)) else list(v) if isinstance(v, tuple) else v)
            for k, v in data.items()}


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
