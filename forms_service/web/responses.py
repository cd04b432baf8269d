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


MODELS: tuple[type[Answer], ...] = (
    Filed, RecordSummary, RecordAnswer, RecordDetail, BatchAnswer, InspectionAnswer, InspectionDetail,
    ChecklistItemAnswer, ChecklistLineAnswer, FindingAnswer, IncidentAnswer)


def schemas() -> dict[str, Any]:
    """Every answer's JSON Schema, named as the models are, for ``components/schemas`` (the validation
    schema: the serialized one of a model with a wrapping serializer says only "an object")."""
    _, found = models_json_schema([(model, "validation") for model in MODELS],
                                  ref_template="#/components/schemas/{model}")
    defined: dict[str, Any] = found["$defs"]
    return defined


def ref(model: type[Answer]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}
