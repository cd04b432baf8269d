"""The record pipeline: validate → render → convert → sign → store a version → catalog row + audit.

Two halves: ``Producer.produce`` makes the signed PDF and touches no storage (the CLI's
``render`` uses it alone); ``Archive.submit`` stores it.  Order matters for "no half records":
the object is stored first, then the catalog row and its audit event are written in one
transaction.  If that transaction fails, the stored object has no catalog row — it is invisible
to users and found by the archive's reconciliation — and the caller gets an error.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from signing import (
    Level, SignatureOptions, SignerProvider, SigningContext, SigningError, Stamp, sign_pdf, verify_pdf,
)
from storage import ObjectStore, Retention, StorageError

from .catalog import Catalog, NewAuditEvent, NewRecord, NewVersion
from .catalog.models import Record
from .chunked import balanced_chunk_size, produce_chunked
from .convert import Converter
from .errors import SigningFailed, StorageFailed
from .forms import FormSpec, RenderOptions, get_form
from .forms.types import FormModel
from .glyphs import check_values, template_faces
from .render import render_docx
from .settings import Settings
from .taiwan import TAIPEI
from .template_source import TemplateSource
from .tokens import Actor


@dataclass(frozen=True)
class Produced:
    """A validated form turned into a signed PDF/A, not yet stored."""

    spec: FormSpec
    form: FormModel
    pdf: bytes
    sha256: str
    pages: int
    signature_report: list[dict[str, Any]]
    revision_hashes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredVersion:
    record_id: str
    number: int
    object_key: str
    object_version: str
    sha256: str
    size: int



# Rows of a long table per separately converted chunk: LibreOffice stays linear up to ~400 rows.
MAX_ROWS_PER_CHUNK = 300


@lru_cache(maxsize=64)
def _faces(template: bytes) -> frozenset[str]:
    return frozenset(template_faces(template))


def validate_input(form_id: str, data: Any, templates: TemplateSource) -> tuple[FormSpec, FormModel]:
    """The model of ``data``, or ``ValidationFailed`` naming each bad field — including any
    character the template's fonts cannot print (so no signed PDF ever shows an empty box)."""
    spec = get_form(form_id)
    form = spec.validate(data)
    check_values(form.model_dump(mode="json", by_alias=True), set(_faces(templates.load(spec))), form_id=form_id)
    return spec, form


class Producer:
    def __init__(self, *, settings: Settings, converter: Converter, signer: SignerProvider, trust_roots: list,
                 templates: TemplateSource, signing: SigningContext = SigningContext(), level: Level = Level.B_B):
        self.settings = settings
        self.templates = templates
        self.signing = signing
        self.level = level
        self.converter = converter
        self.signer = signer
        self.trust_roots = trust_roots

    def validate(self, form_id: str, data: Any) -> tuple[FormSpec, FormModel]:
        return validate_input(form_id, data, self.templates)

    def produce(self, form_id: str, data: Any) -> Produced:
        spec, form = self.validate(form_id, data)
        return self.produce_validated(spec, form)

    def produce_validated(self, spec: FormSpec, form: FormModel) -> Produced:
        pdf = self._convert(spec, form)
        owner = spec.owner(form)
        options = SignatureOptions(field_name="Signature1", reason=f"{spec.annex} {spec.title}",
                                   location=owner.name, level=self.level,
                                   stamp=signature_stamp("簽署人", self.signer, owner.name))
        signed, report = self.sign(pdf, self.signer, options)
        return Produced(spec, form, signed, hashlib.sha256(signed).hexdigest(), _page_count(pdf), report,
                        revision_hashes(signed))

    def sign(self, pdf: bytes, provider: SignerProvider, options: SignatureOptions) -> tuple[bytes, list[dict]]:
        """``pdf`` with one more signature, checked as a verifier would before anyone stores it."""
        try:
            signed = sign_pdf(pdf, provider.signer(), options, self.signing)
            verification = verify_pdf(signed, self.trust_roots, revocation_mode="soft-fail")
        except SigningError as err:
            raise SigningFailed(str(err)) from err
        if not verification.ok:
            raise SigningFailed("the new signature did not validate, nothing was stored: " + "; ".join(verification.problems))
        return signed, [r.as_dict() for r in verification.signatures]

    def _convert(self, spec: FormSpec, form: FormModel) -> bytes:
        template = self.templates.load(spec)
        if spec.chunk_contexts is not None:
            rows = balanced_chunk_size(spec.row_count(form), workers=self.settings.converter_workers,
                                       max_rows=MAX_ROWS_PER_CHUNK)
            chunks = spec.chunk_contexts(form, self._options(), rows)
            if len(chunks) > 1:
                pdf, _ = produce_chunked(template, chunks, self.converter, parallel=self.settings.converter_workers)
                return pdf
        return self.converter.convert(render_docx(template, spec.context(form, self._options())))

    def _options(self) -> RenderOptions:
        return RenderOptions(provider_name=self.settings.provider_name)


class Archive:
    def __init__(self, *, settings: Settings, store: ObjectStore, catalog: Catalog):
        self.settings = settings
        self.store = store
        self.catalog = catalog

    def submit(self, produced: Produced, actor: Actor, *, source_ip: str = "") -> StoredVersion:
        """Store a new record: its first version, then the catalog row and audit event."""
        spec, form = produced.spec, produced.form
        owner = spec.owner(form)
        now = datetime.now(timezone.utc)
        record_id = "rec_" + uuid.uuid4().hex
        retention = Retention(self.settings.lock_mode, self.retain_until(spec, form, now))
        period = getattr(form, "period", None)
        user_unit = getattr(form, "user_unit", None)
        record = NewRecord(
            id=record_id, form_id=spec.form_id, agency_name=owner.name, agency_code=owner.code,
            user_unit_name=user_unit.name if user_unit else "",
            title=f"{spec.annex} {spec.title}（{owner.name}）",
            period_start=period.start if period else None, period_end=period.end if period else None,
            input=form.model_dump(mode="json", by_alias=True), created_at=now, created_by=actor.id,
            subjects=tuple(sorted(spec.subjects(form))),
        )
        version = self._put(
            record=record, number=1, pdf=produced.pdf, retention=retention, actor=actor, now=now,
            pages=produced.pages, report=produced.signature_report, hashes=produced.revision_hashes, reason="created",
        )
        self.catalog.add_record(
            record,
            version,
            NewAuditEvent(
                actor=actor.id, agency=actor.agency, action="record.create", record_id=record_id, version=1,
                source_ip=source_ip, detail={"form_id": spec.form_id, "sha256": version.sha256},
            ),
        )
        return StoredVersion(record_id, 1, version.object_key, version.object_version, version.sha256, version.size)

    def add_version(self, record: Record, pdf: bytes, report: list[dict], actor: Actor, *, reason: str,
                    action: str, source_ip: str = "") -> StoredVersion:
        """Store a new version of ``record`` (countersigned, timestamps renewed), keeping its retention."""
        latest = record.versions[-1]
        number = latest.number + 1
        now = datetime.now(timezone.utc)
        retention = Retention(latest.retention_mode or self.settings.lock_mode,
                              max(latest.retain_until, now + timedelta(days=1)) if latest.retain_until else
                              now + timedelta(days=366))
        version = self._put(
            record=record_entry(record), number=number, pdf=pdf, retention=retention, actor=actor, now=now,
            pages=latest.pages, report=report, hashes=revision_hashes(pdf), reason=reason,
        )
        self.catalog.add_version(record.id, version, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action=action, record_id=record.id, version=number,
            source_ip=source_ip, detail={"sha256": version.sha256, "reason": reason},
        ))
        return StoredVersion(record.id, number, version.object_key, version.object_version, version.sha256, version.size)

    def _put(self, *, record: NewRecord, number: int, pdf: bytes, retention: Retention, actor: Actor,
             now: datetime, pages: int, report: list[dict], hashes: tuple[str, ...], reason: str) -> NewVersion:
        """The PDF, then its catalog entry (JSON) beside it, both under the same retention.

        The entry holds everything the catalog row holds, so ``catalog rebuild`` can recreate the
        catalog from the store alone."""
        key = f"records/{record.form_id}/{record.id}/v{number}.pdf"
        try:
            stored = self.store.put(
                key, pdf, content_type="application/pdf", retention=retention,
                metadata={
                    "form-id": record.form_id, "record-id": record.id, "version": str(number),
                    "agency": record.agency_name, "agency-code": record.agency_code, "created-at": now.isoformat(),
                    "created-by": actor.id, "pages": str(pages), "signatures": str(len(report)), "reason": reason,
                },
            )
            version = NewVersion(
                number=number, object_key=key, object_version=stored.version_id, sha256=stored.sha256,
                size=stored.size, pages=pages, signatures=len(report), signature_report=report,
                retention_mode=retention.mode, retain_until=retention.until, created_at=now, reason=reason,
                revision_hashes=hashes,
            )
            entry_key = key.removesuffix(".pdf") + ".json"
            entry = self.store.put(
                entry_key, catalog_entry_json(record, version), content_type="application/json", retention=retention,
                metadata={"record-id": record.id, "version": str(number), "pdf-version": stored.version_id},
            )
        except StorageError as err:
            raise StorageFailed(f"the record was not stored: {err}") from err
        return dataclasses.replace(version, entry_object_key=entry_key, entry_object_version=entry.version_id)

    def retain_until(self, spec: FormSpec, form: FormModel, now: datetime) -> datetime:
        """The retention schedule: 附件1–3 until the end of their 使用期限 plus
        FORMS_RETENTION_YEARS_AFTER_PERIOD; 附件4–5 (audit records, query logs) from their audit date
        or month plus FORMS_RETENTION_YEARS_LOGS (規範 六(四)2(1): at least one year); never less
        than a year from now."""
        years = (self.settings.retention_years_logs if spec.retention_class == "log"
                 else self.settings.retention_years_after_period)
        base = _add_years(spec.retain_from(form), years)
        floor = _add_years(now.date(), 1)
        until = max(base, floor)
        return datetime(until.year, until.month, until.day, tzinfo=timezone.utc) + timedelta(days=1)


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def record_entry(record: Record) -> NewRecord:
    """The immutable fields of a catalogued record, as written beside each of its versions."""
    return NewRecord(
        id=record.id, form_id=record.form_id, agency_name=record.agency_name, agency_code=record.agency_code,
        user_unit_name=record.user_unit_name, title=record.title, period_start=record.period_start,
        period_end=record.period_end, input=record.input, created_at=record.created_at, created_by=record.created_by,
        subjects=tuple(s.ubn for s in record.subjects),
    )


def catalog_entry_json(record: NewRecord, version: NewVersion) -> bytes:
    def plain(obj) -> dict:
        data = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return {k: (v.isoformat() if hasattr(v, "isoformat") else list(v) if isinstance(v, tuple) else v)
                for k, v in data.items()}

    version_data = plain(version)
    for derived in ("entry_object_key", "entry_object_version"):
        version_data.pop(derived)
    return json.dumps({"record": plain(record), "version": version_data}, ensure_ascii=False, indent=1).encode()


def signature_stamp(role: str, provider: SignerProvider, agency: str, *, box=(330, 60, 560, 130)) -> Stamp:
    """簽署人／機關／時間 (民國, Asia/Taipei — not the machine's zone) for a visible stamp."""
    now = datetime.now(TAIPEI)
    try:
        subject = provider.signer().signing_cert.subject.native
    except SigningError as err:  # the key or token is not available
        raise SigningFailed(str(err)) from err
    who = subject.get("common_name") or subject.get("organization_name") or ""
    return Stamp(lines=(
        f"{role}：{who}", f"機關：{agency}",
        f"時間：中華民國{now.year - 1911}年{now.month}月{now.day}日 {now:%H:%M}",
    ), box=box)


def revision_hashes(pdf: bytes) -> tuple[str, ...]:
    """sha256 of every earlier revision of ``pdf`` (each prefix ending at an %%EOF marker, with or
    without its end-of-line), so a copy cut back to one of them is recognised."""
    hashes = []
    for match in re.finditer(rb"%%EOF", pdf):
        end = match.end()
        for cut in (end, end + 1, end + 2):
            if cut < len(pdf):
                hashes.append(hashlib.sha256(pdf[:cut]).hexdigest())
    return tuple(dict.fromkeys(hashes))


def _page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
