"""The API's answers, described once: each a pydantic model that both makes the JSON a view returns
(``Model(...).body()``) and gives the OpenAPI document its schema (``openapi.py`` takes ``SCHEMAS``).

A model forbids what it does not describe, so a view cannot answer a field the description lacks;
``tests/test_openapi.py`` validates real answers against the document.  Times are answered as
Python writes them (``2026-12-06T05:15:00+00:00``), dates as ``2026-12-06``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    model_serializer,
)
from pydantic.json_schema import models_json_schema

Time = Annotated[datetime, PlainSerializer(lambda v: v.isoformat(), return_type=str),
                 WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[date, PlainSerializer(lambda v: v.isoformat(), return_type=str),
                WithJsonSchema({"type": "string", "format": "date"})]
Result = Annotated[str, WithJsonSchema({"type": "string", "enum": ["conform", "nonconform", "na"]})]
TimeText = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]  # already written out


class Answer(BaseModel):
    """An answer's JSON object; fields in ``OMITTED_WHEN_EMPTY`` are left out when None (at any depth)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    OMITTED_WHEN_EMPTY: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _leave_out_empty(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        found: dict[str, Any] = serialize(self)
        return {k: v for k, v in found.items() if not (v is None and k in self.OMITTED_WHEN_EMPTY)}

    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        return found


# --- records -------------------------------------------------------------------------------------

class Signing(Answer):
    """The document's signature blocks: in order, those signed, the next."""

    order: list[str]
    signed: list[str]
    next: str | None


class FiledLinks(Answer):
    self_: str = Field(alias="self")
    pdf: str


class Filed(Answer):
    """A record filed, or its next version signed."""

    OMITTED_WHEN_EMPTY = frozenset({"warnings"})
    record_id: str
    version: int
    version_id: str
    sha256: str
    size: int
    signing: Signing
    warnings: list[dict[str, Any]] | None = Field(
        default=None, description="its parties' rules it breaks where they only warn")
    links: FiledLinks


class NewVersion(Answer):
    """A version added to a record by someone else's signature (the data provider's countersignature)."""

    record_id: str
    version: int
    version_id: str
    sha256: str
    size: int
    links: FiledLinks


class WaitingLinks(Answer):
    sign: str = Field(description="the page where the first signer signs it with his card")


class Waiting(Answer):
    """A form whose first signature block is a person's: kept as a draft until his card signs it."""

    draft_id: str
    signing: Signing
    warnings: list[dict[str, Any]]
    links: WaitingLinks


class FormListed(Answer):
    id: str
    annex: str
    title: str
    schema_: str = Field(alias="schema", description="where its JSON Schema is")


class FormList(Answer):
    forms: list[FormListed]


class Party(Answer):
    name: str
    code: str


class Period(Answer):
    start: Day | None
    end: Day | None


class Retention(Answer):
    mode: str
    retain_until: Time | None


class RecordVersion(Answer):
    version: int
    version_id: str
    sha256: str
    size: int
    pages: int
    signatures: int
    created_at: Time
    retention: Retention
    legal_hold: bool
    pdfa: dict[str, Any] | None = Field(description="the PDF/A check's verdict when it was filed")
    signature_report: list[dict[str, Any]]
    pdf: str


class RecordSummary(Answer):
    """A record and its versions, as a search lists it (without its input)."""

    record_id: str
    form_id: str
    title: str
    agency: Party
    user_unit: str
    status: str
    period: Period
    created_at: Time
    created_by: str
    versions: list[RecordVersion]


class RecordAnswer(RecordSummary):
    """A record with the input it was filled from."""

    input: dict[str, Any]


class RecordDetail(RecordAnswer):
    """A record as ``GET /records/{record_id}`` answers it: with its connection."""

    connection_id: str | None = Field(description="the connection (介接案) it belongs to, if any")


class RecordPage(Answer):
    """One page of a search, newest first."""

    records: list[RecordSummary]
    limit: int
    offset: int


class SignatureCheck(Answer):
    """One signature or document timestamp of a version, checked now."""

    field: str
    kind: Annotated[str, WithJsonSchema({"type": "string", "enum": ["signature", "document timestamp"]})]
    signer: str
    block: str = Field(description="the form's signature block it signs (承辦人, 資料提供機關…); empty for a timestamp")
    signing_time: TimeText | None
    timestamp: TimeText | None
    level: str
    intact: bool = Field(description="the signed bytes are unchanged")
    valid: bool = Field(description="the signature verifies with the signer's key")
    trusted: bool = Field(description="the certificate chains to a trusted root and was not revoked")
    revocation: str
    coverage: str
    modification_level: str
    problem: str
    ok: bool


class VerificationReport(Answer):
    """A version's signatures checked now, and what the archive adds (a cut-back or a signature less)."""

    record_id: str
    version: int
    ok: bool
    signatures: list[SignatureCheck]
    problems: list[str]
    report_at_signing: list[dict[str, Any]] = Field(
        description="the signatures' reports as recorded when the version was stored")


# --- signing with a card -------------------------------------------------------------------------

class SessionLinks(Answer):
    signature: str = Field(description="where the card's signature is posted")


class SigningSessionAnswer(Answer):
    """A signing session begun: what the signer's card signs, and until when."""

    OMITTED_WHEN_EMPTY = frozenset({"links"})
    id: str
    to_be_signed: Annotated[str, WithJsonSchema({"type": "string", "contentEncoding": "base64"})] = Field(
        description="DER of the CMS signed attributes: what the card signs")
    hash_algorithm: Annotated[str, WithJsonSchema({"type": "string", "enum": ["SHA256"]})]
    signature_type: Annotated[str, WithJsonSchema({"type": "string", "enum": ["PKCS1"]})]
    expires_at: TimeText
    block: str
    block_label: str
    signer: str = Field(description="as the card's certificate names him")
    form_id: str
    record_id: str = Field(description="the record whose next block he signs; empty for a new filing")
    links: SessionLinks | None = None


# --- batches -------------------------------------------------------------------------------------

class EntryLinks(Answer):
    record: str
    pdf: str


class BatchEntryAnswer(Answer):
    OMITTED_WHEN_EMPTY = frozenset({"record_id", "links", "problem"})
    number: int
    state: Annotated[str, WithJsonSchema({"type": "string", "enum": [
        "queued", "running", "done", "refused", "failed", "cancelled"]})]
    record_id: str | None = None
    links: EntryLinks | None = None
    problem: dict[str, Any] | None = Field(
        default=None, description="code, message and (for bad input) field and errors")


class BatchLinks(Answer):
    OMITTED_WHEN_EMPTY = frozenset({"next"})
    self_: str = Field(alias="self")
    cancel: str
    next: str | None = Field(default=None, description="with limit, while entries follow: the next window")


class BatchAnswer(Answer):
    OMITTED_WHEN_EMPTY = frozenset({"webhook_secret"})
    id: str
    form: str
    state: Annotated[str, WithJsonSchema({"type": "string", "enum": [
        "queued", "running", "cancelling", "finished", "cancelled"]})]
    created_at: Time
    cancelled_at: Time | None
    finished_at: Time | None
    total: int
    counts: dict[str, int]
    progress: float = Field(description="the share of entries ended, 0–1")
    paused: dict[str, Any] | None = Field(description="while a fault (the store or the TSA down) holds the batch: "
                                                      "until (when workers try again), code, message")
    webhook: str | None
    webhook_secret: str | None = Field(
        default=None, description="in the 202 answer only, when a webhook was given: the HMAC-SHA256 key of "
                                  "X-Forms-Signature")
    entries: list[BatchEntryAnswer]
    links: BatchLinks


# --- the provider's oversight --------------------------------------------------------------------

class InspectionAnswer(Answer):
    OMITTED_WHEN_EMPTY = frozenset({"notified"})
    id: str
    agency: str
    audit_on: Day
    team: str
    connection_id: str | None
    answers_due_on: Day
    answered_at: Time | None
    answers_late: bool
    filled_by: str | None
    record_id: str | None = Field(description="the final 附件4, signed by the team")
    finished_at: Time | None
    notified: list[str] | None = Field(default=None, description="when scheduled: the addresses told of it")


class ChecklistItemAnswer(Answer):
    item: int
    self_result: Result | None
    note: str
    evidence: list[str]
    answered_at: Time | None
    result: Result | None
    result_note: str
    judged_at: Time | None


class ChecklistLineAnswer(ChecklistItemAnswer):
    text: str
    source: str
    basis: str | None = Field(description="what the agency's 附件3 says on the item")


class FindingAnswer(Answer):
    number: int
    item: int | None
    issue: str
    action: str
    due: Day
    reply: str | None
    replied_at: Time | None
    closed_at: Time | None


class InspectionDetail(InspectionAnswer):
    """An audit with its checklist (both columns so far) and its findings."""

    prepared_from_requirements: bool
    items: list[ChecklistLineAnswer]
    findings: list[FindingAnswer]


class IncidentAnswer(Answer):
    record_id: str
    agency: str
    system: str
    related_record: str | None
    discovered_at: Time
    level: int
    recorded_at: Time
    reported_at: Time | None
    reported_how: str | None


# --- connections and the query log's review ------------------------------------------------------

class ConnectionRecordAnswer(Answer):
    record_id: str
    form_id: str
    kind: str
    created_at: Time
    title: str
    countersigned: bool


class ConnectionAnswer(Answer):
    """A connection (介接案) as its records make it: its parties, period, state and what was late."""

    id: str = Field(description="the record id of its first 附件1")
    applicant: dict[str, str]
    user_unit: dict[str, str]
    system: str
    period: Period
    terminated_on: Day | None
    state: Annotated[str, WithJsonSchema({"type": "string", "enum": [
        "applied", "active", "expired", "terminated", "purged"]})]
    approved: bool = Field(description="the data provider countersigned its 附件2")
    user_unit_took_part: bool = Field(description="the 資料使用單位 applied, filed a record of it, or acknowledged it")
    agreed: bool = Field(description="both: only then does it govern the system's query log")
    current_application: str
    purge_due_on: Day | None
    late: list[str] = Field(description="what was done after its deadline")
    records: list[ConnectionRecordAnswer]


class DueItemAnswer(Answer):
    """Something a duty of the regulation (or a signing order) asks for, by when."""

    kind: Annotated[str, WithJsonSchema({"type": "string", "enum": [
        "monthly-review", "explanation", "no-events", "renewal", "yearly-review", "audit-answers", "finding-reply",
        "purge", "incident-report", "signature", "security-test", "returned"]})]
    connection_id: str | None
    record_id: str | None
    draft_id: str | None = Field(description="a filing waiting, as a draft, for its first signer's card")
    due_on: Day
    title: str
    agency: str
    system: str
    month: str


class RefusedEvent(Answer):
    index: int = Field(description="its place in the batch, from 0 (JSON Lines: its line number - 1)")
    event_id: str
    errors: list[dict[str, Any]]


class QueryEventsTaken(Answer):
    """What became of a batch of query events."""

    accepted: int = Field(description="how many were stored")
    duplicates: list[str] = Field(description="the event ids stored before: kept once")
    refused: list[RefusedEvent]


FLAG_KINDS = ["off-hours", "unapproved-user", "outside-period", "volume", "repeat", "no-case"]
FLAG_STATES = ["open", "requested", "answered", "explained", "violation"]


class MonthFlag(Answer):
    OMITTED_WHEN_EMPTY = frozenset({"request", "answer", "decision"})
    event_id: str
    kind: Annotated[str, WithJsonSchema({"type": "string", "enum": FLAG_KINDS})]
    sentence: str
    querier: str
    state: Annotated[str, WithJsonSchema({"type": "string", "enum": FLAG_STATES})]
    request: str | None = None
    answer: str | None = None
    decision: str | None = None


class QueryMonthAnswer(Answer):
    """A month of a system's query events: how many, and the flags for the 查核人員."""

    agency: str
    system: str
    month: str
    state: str
    count: int
    connection: str | None = Field(description="the 附件1 whose rules apply")
    flags: list[MonthFlag]
    reviewer: str | None = Field(description="the assigned 查核人員's user name")


class RecordLinks(Answer):
    self_: str = Field(alias="self")


class MonthSignedOff(Answer):
    """A month signed off: its 附件5, signed and archived."""

    record_id: str
    entries: int = Field(description="the query events the register lists")
    links: RecordLinks


class ClosedMonth(Answer):
    month: str
    count: int
    object_key: str
    sha256: str


class ReviewerAssigned(Answer):
    OMITTED_WHEN_EMPTY = frozenset({"warning"})
    agency: str
    system: str
    username: str
    warning: str | None = Field(default=None, description="why the assignment deserves a second look")


class FlagReviewAnswer(Answer):
    """One flag of a month under review, as the 查核人員 and the querier see it."""

    system: str
    month: str
    event_id: str
    kind: str
    sentence: str
    querier: str
    state: str
    request: str
    answer: str
    decision: str


# --- lists ---------------------------------------------------------------------------------------

class ConnectionList(Answer):
    connections: list[ConnectionAnswer]


class InspectionList(Answer):
    inspections: list[InspectionAnswer]


class IncidentList(Answer):
    incidents: list[IncidentAnswer]


class DueList(Answer):
    """What is due, overdue first."""

    items: list[DueItemAnswer]


class ExplanationRequests(Answer):
    """The requests for a 查調者說明 about the caller's own queries."""

    requests: list[FlagReviewAnswer]


MODELS: tuple[type[Answer], ...] = (
    Filed, NewVersion, Waiting, FormList, RecordSummary, RecordAnswer, RecordDetail, RecordPage,
    VerificationReport, SigningSessionAnswer, BatchAnswer, InspectionAnswer, InspectionDetail, InspectionList,
    ChecklistItemAnswer, ChecklistLineAnswer, FindingAnswer, IncidentAnswer, IncidentList, ConnectionAnswer,
    ConnectionList, DueItemAnswer, DueList, QueryEventsTaken, QueryMonthAnswer, ClosedMonth, MonthSignedOff,
    ReviewerAssigned, FlagReviewAnswer, ExplanationRequests)


def schemas() -> dict[str, Any]:
    """Every answer's JSON Schema, named as the models are, for ``components/schemas`` (the validation
    schema: the serialized one of a model with a wrapping serializer says only "an object")."""
    _, found = models_json_schema([(model, "validation") for model in MODELS],
                                  ref_template="#/components/schemas/{model}")
    defined: dict[str, Any] = found["$defs"]
    return defined


def ref(model: type[Answer]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}
