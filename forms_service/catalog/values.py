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
class ApiToken:
    id: int
    prefix: str
    agency: str
    role: str
    label: str
    allowed_networks: str
    created_at: datetime
    revoked_at: datetime | None
    expires_at: datetime | None = None
    system: str = ""
    username: str = ""  # a person's own token acts as that user
    connection_id: str = ""  # a system token's connection (介接案): its events are checked against it


@dataclass(frozen=True)
class User:
    username: str
    password_hash: str
    agency: str
    role: str
    failed_logins: int
    locked_until: datetime | None
    created_at: datetime
    full_name: str = ""
    email: str = ""
    system_account: str = ""  # the account in the agency's business systems (query events' user.account)

    @property
    def account(self) -> str:
        """Who this person is in the query events: the system account, or the user name."""
        return self.system_account or self.username


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
class NewQueryEvent:
    agency: str
    system: str
    event_id: str
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class QueryEvent(NewQueryEvent):
    id: int
    received_at: datetime
    received_by: str


@dataclass(frozen=True)
class QueryMonth:
    """A closed month of a system's query events (its sealed segment in the store, its 附件5 once signed)."""

    agency: str
    system: str
    month: str
    count: int
    object_key: str
    object_version: str
    sha256: str
    closed_at: datetime
    closed_by: str
    record_id: str | None = None


@dataclass(frozen=True)
class QueryReviewer:
    """The 查核人員 assigned to one business system."""

    agency: str
    system: str
    username: str
    assigned_at: datetime
    assigned_by: str


@dataclass(frozen=True)
class QueryFlagReview:
    """One flag of a month under review: requested → answered → explained | violation (or decided
    without a request)."""

    agency: str
    system: str
    month: str
    event_id: str
    kind: str
    sentence: str
    querier_account: str
    state: str
    request_note: str = ""
    requested_by: str = ""
    requested_at: datetime | None = None
    answer: str = ""
    answered_by: str = ""
    answered_at: datetime | None = None
    decision_note: str = ""
    decided_by: str = ""
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Inspection:
    """The data provider's audit of an agency (規範 七): when, by whom, of which connection."""

    id: str
    agency: str
    audit_on: date
    team: str
    scheduled_by: str
    scheduled_at: datetime
    connection_id: str = ""
    answered_at: datetime | None = None  # the agency sent its column of the checklist (七(四)2)
    answered_by: str = ""
    filled_by: str = ""  # 受查單位填表人: name
    filled_title: str = ""
    record_id: str = ""  # the final 附件4, signed by the team
    finished_at: datetime | None = None


@dataclass(frozen=True)
class InspectionItem:
    """One item of an audit's 附件4 checklist: the agency's answer with its evidence, then the
    team's result."""

    inspection_id: str
    item: int
    self_result: str = ""  # conform | nonconform | na ("" not answered)
    self_note: str = ""
    evidence: tuple[str, ...] = ()  # record ids of archived records
    answered_by: str = ""
    answered_at: datetime | None = None
    result: str = ""
    result_note: str = ""
    judged_by: str = ""
    judged_at: datetime | None = None


@dataclass(frozen=True)
class InspectionFinding:
    """A finding of an audit (缺失), its deadline, the agency's reply (函復) and its closing."""

    inspection_id: str
    number: int
    agency: str
    item: int | None
    issue: str
    action: str
    due_on: date
    created_by: str
    created_at: datetime
    reply: str = ""
    replied_by: str = ""
    replied_at: datetime | None = None
    closed_by: str = ""
    closed_at: datetime | None = None


@dataclass(frozen=True)
class Incident:
    """A 資通安全事件 an agency recorded (its signed record) and when the provider had the report."""

    record_id: str
    agency: str
    system: str
    related_record: str  # the connection's 附件1 ("" when none was named)
    discovered_at: datetime
    level: int
    recorded_at: datetime
    reported_at: datetime | None = None
    reported_how: str = ""  # "mail: …" or "page: …"


@dataclass(frozen=True)
class WebSession:
    username: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime


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


@dataclass(frozen=True)
class Batch:
    """Many documents of one form asked for in one request, produced by the background workers."""

    id: str
    form_id: str
    agency: str  # the submitter's agency ("" for an administrator)
    actor: dict[str, Any]  # who submitted it (id, agency, role): each record is filed as them
    created_at: datetime
    webhook_url: str = ""
    webhook_secret: str = ""  # the HMAC key of its completion call, told to the submitter once
    cancelled_at: datetime | None = None
    finished_at: datetime | None = None  # when its last entry ended (done, refused, failed, cancelled)
    # A fault (the store or the TSA down) pauses the whole batch for a lease's time, so its entries
    # are not spent one after another on the same fault; why, for the submitter to see.
    paused_until: datetime | None = None
    paused_because: dict[str, Any] | None = None  # code, message


@dataclass(frozen=True)
class BatchEntry:
    """One input of a batch and what became of it."""

    batch_id: str
    number: int  # 1, 2, … in the order given
    input: Any  # None where read without it (``batch_entries``)
    state: str = "queued"  # queued, running, done, refused, failed, cancelled
    record_id: str = ""
    problem: dict[str, Any] = field(default_factory=dict)  # code, message, field (refused / failed)
    worker: str = ""  # who holds it (running) or did it
    lease_until: datetime | None = None  # a running entry whose lease passed may be taken again
    attempts: int = 0
    updated_at: datetime | None = None
