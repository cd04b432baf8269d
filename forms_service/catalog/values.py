"""The frozen values that cross the catalog's protocols, in both directions.

Writers hand the catalog ``New…`` values; readers get ``Record``, ``Version``, … back — plain
frozen dataclasses, never ORM rows, so nothing outside ``catalog/`` depends on SQLAlchemy or on a
session being open.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# --- written ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewRecord:
    id: str
    form_id: str
    agency_name: str
    agency_code: str
    user_unit_name: str
    title: str
    period_start: date | None
    period_end: date | None
    input: dict[str, Any]
    created_at: datetime
    created_by: str
    subjects: tuple[str, ...] = ()  # 統一編號 the record is about
    # The connection (介接案) the record belongs to: the id of its first 附件1 ("" for none), and the
    # 資料使用單位 and system the record names — indexed, so a connection's records and a system's
    # connection are found by query, whatever the archive's size.
    connection_id: str = ""
    user_unit_code: str = ""
    system_name: str = ""
    # The signature blocks of its document, in the order they are signed (``forms.signatures``):
    # the signatures of the latest version say which are signed, the first other one is next.
    signing_order: tuple[str, ...] = ()


@dataclass(frozen=True)
class NewVersion:
    number: int
    object_key: str
    object_version: str
    sha256: str
    size: int
    pages: int
    signatures: int
    signature_report: list[dict[str, Any]]
    retention_mode: str
    retain_until: datetime | None
    created_at: datetime
    reason: str = ""
    revision_hashes: tuple[str, ...] = ()
    entry_object_key: str = ""
    entry_object_version: str = ""
    # The PDF/A checker's verdict on the converted document — the first revision of every version.
    pdfa: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewAuditEvent:
    actor: str
    action: str
    agency: str = ""
    outcome: str = "ok"
    record_id: str = ""
    version: int | None = None
    source_ip: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NewTombstone:
    """A disposal request: what will be deleted, who asked and why."""

    record_id: str
    form_id: str
    agency_name: str
    title: str
    versions: list[dict[str, Any]]  # [{number, object_key, object_version, entry_object_key, …, sha256}]
    requested_by: str
    request_reason: str
    requested_at: datetime


@dataclass(frozen=True)
class NewAuditSeal:
    """A sealed day of the audit log: its segment and signature in the object store."""

    day: date  # Taipei calendar day
    first_id: int
    last_id: int
    count: int
    prev_hash: str  # the chain hash before the first entry
    last_hash: str
    object_key: str
    object_version: str
    sha256: str
    signature_key: str
    signature_version: str
    retain_until: datetime
    sealed_at: datetime


@dataclass(frozen=True)
class RecordFilter:
    """Scope and filters of a record query; ``agency`` scopes to one agency by its 機關代碼."""

    agency: str | None = None
    form_id: str | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None  # exclusive
    subject: str | None = None  # a 統一編號 the record is about
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class ConnectionAck:
    """A 資料使用單位 saying that a connection naming it is its own (規範 六(一)2: the parties agree)."""

    connection_id: str
    agency: str
    by: str
    at: datetime


# --- read ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version(NewVersion):
    """One immutable PDF in the object store (object key + the store's version id), as catalogued."""

    record_id: str = ""
    legal_hold: bool = False


@dataclass(frozen=True)
class Record(NewRecord):
    """One form instance (e.g. one agency's 約定書) as catalogued, with its versions, oldest first."""

    status: str = "active"  # active | disposal-requested | disposed
    versions: tuple[Version, ...] = ()
    awaiting: str = ""  # the block its next signer signs ("" none left, RETURNED: a signer returned it)

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None


RETURNED = "-"  # ``Record.awaiting`` of a record a signer returned: its signing has ended


def next_block(signing_order: tuple[str, ...] | list[str], report: list[dict[str, Any]]) -> str:
    """The first block of ``signing_order`` a version's signature report shows unsigned ("" none)."""
    signed = {r.get("field") for r in report if r.get("kind") == "signature"}
    return next((b for b in signing_order if b not in signed), "")


@dataclass(frozen=True)
class ConnectionMember:
    """A record of a connection as the connection reads it: a 附件1 with its input (its terms make
    the connection), other forms without theirs (a 附件5's runs to megabytes); whether the data
    provider countersigned it (a 附件2); the agency it was filed for (its owner's 機關代碼)."""

    id: str
    form_id: str
    connection_id: str
    agency_code: str
    created_at: datetime
    title: str
    related_record: str | None
    input: dict[str, Any]
    countersigned: bool = False
    review_kind: str = ""  # a 附件4's: self_review (the agency's own) or audit (the provider's); "" before kinds


@dataclass(frozen=True)
class Draft:
    """A form being filled in the browser: kept per agency, never archived, deleted once signed."""

    id: str
    agency: str  # 機關代碼 of the agency whose staff see it
    form_id: str
    title: str
    data: dict[str, Any]  # the input so far (JSON, possibly incomplete)
    created_by: str
    created_at: datetime
    updated_at: datetime
    awaiting: str = ""  # filed, waiting for the first signature: the block whose person signs it


@dataclass(frozen=True)
class AgencyProfile:
    """What an agency's new forms start with (機關全銜, 地址, 首長, contacts, usual units), kept by an admin."""

    code: str
    data: dict[str, Any]
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    agency: str
    action: str
    outcome: str
    record_id: str
    version: int | None
    source_ip: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditSeal(NewAuditSeal):
    id: int = 0


@dataclass(frozen=True)
class Tombstone(NewTombstone):
    approved_by: str = ""
    disposed_at: datetime | None = None
    certificate_key: str = ""
    certificate_version: str = ""


@dataclass(frozen=True)
class IdempotencyKey:
    actor: str
    key: str
    request_hash: str
    state: str  # pending | done
    response: dict[str, Any]


@dataclass(frozen=True)
class SetAsideObject:
    """An object version in the store that is no record's: left by a filing that was interrupted
    (its process stopped) or beaten by another worker filing the same record.  Recorded, so that
    ``archive verify`` tells it from an object the catalog lost."""

    key: str
    version_id: str
    record_id: str
    reason: str
    recorded_at: datetime


