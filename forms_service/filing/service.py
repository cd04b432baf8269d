"""Filing a form: the one home of "file a form", which the API, the pages, batches and duties call.

    check (the form's rules, its connection's) → may-file → the signing order → produce the PDF/A
    with a field in each block → sign the blocks that can be signed now → archive → after-effects

Every signature is its signer's.  A document of agency A is signed in A's block with A's key (its
機關憑證, ``signers.registry``) and in its people's blocks by those people with their own cards;
the provider signs in its own block.  Filing signs, in order, what the filer may have signed without
a person — the agency's block with the agency's key, the provider's with the provider's when the
provider files — and stops at the first block that needs a person or a party not filing: the record
then waits for that signer (its next block, ``next_block``), who signs it in the browser or through
the two-step signing API (``sessions.py``).  When the first block already needs a person, nothing can
be filed unattended: ``SignatureRequired`` says who must sign first.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from signing import SignerProvider

from ..access import Actor, Role
from ..access.policy import Action, require
from ..archive import Archive
from ..archive.archive import StoredVersion
from ..archive.filing import check_may_file
from ..archive.related import check_related, describe
from ..catalog import AuditLog, Draft, NewAuditEvent, Record, RecordCatalog, RecordFilter, WorkCatalog
from ..errors import FieldProblem, Forbidden, InputError, SignatureRequired, SigningFailed, ValidationFailed
from ..forms import FormSpec, get_form
from ..forms.policies import Finding, Policy, agency_policy, sentence
from ..forms.signatures import Block, block, signing_order
from ..forms.types import FormModel
from ..messages import problem
from ..produce import Producer
from ..produce.producer import Produced
from ..produce.signer import DocumentSigner, SignedPdf
from ..signers.registry import SignerRegistry
from ..taiwan import TAIPEI, format_roc_month, format_roc_short


class FilingCatalog(RecordCatalog, WorkCatalog, AuditLog, Protocol):
    """What filing reads and keeps: records (the related 附件1), agency profiles (the signing order
    chosen), drafts waiting for a person's signature, and the audit log."""


AfterFiling = Callable[[FormSpec, FormModel, str], None]  # (spec, form, record id): notices, incidents


@dataclass(frozen=True)
class Filed:
    stored: StoredVersion
    signing_order: tuple[str, ...]
    signed: tuple[str, ...]  # the blocks signed so far
    warnings: tuple[dict[str, str], ...] = ()  # its parties' rules it breaks, where they only warn

    @property
    def record_id(self) -> str:
        return self.stored.record_id

    @property
    def next_block(self) -> str | None:
        return next((b for b in self.signing_order if b not in self.signed), None)


@dataclass(frozen=True)
class Waiting:
    """A filing whose first block is a person's: kept as a draft that waits for his signature, which
    makes it a record (``sessions.py``)."""

    draft: Draft
    signing_order: tuple[str, ...]
    warnings: tuple[dict[str, str], ...] = ()

    @property
    def next_block(self) -> str:
        return self.draft.awaiting


class FilingService:
    def __init__(self, *, records: FilingCatalog, producer: Callable[[], Producer], archive: Callable[[], Archive],
                 signers: SignerRegistry, document_signer: DocumentSigner, today: Callable[[], date],
                 now: Callable[[], datetime], provider_max_use_years: int = 0,
                 provider_name: str, provider_key: Callable[[], SignerProvider | None],
                 after_filing: AfterFiling | None = None):
        self.records = records
        self._producer = producer  # made when asked: a one-shot check needs no LibreOffice
        self._archive = archive
        self.signers = signers
        self.document_signer = document_signer
        self.today = today
        self._now = now
        self.provider_max_use_years = provider_max_use_years  # the provider's rule (0: none)
        self.provider_name = provider_name
        self._provider_key = provider_key
        self._after_filing = after_filing

    # --- checking ----------------------------------------------------------------------------------

    def check(self, actor: Actor, form_id: str, data: Any, *, by_provider: bool = False) -> tuple[FormSpec, FormModel]:
        """The form, checked as filing checks it — its fields, its rules across fields, its agreement
        with its connection's 附件1 — and the actor's right to file it; ``ValidationFailed`` naming
        each problem, or ``Forbidden``.  ``by_provider``: the data provider files it for an agency."""
        # One pass: every problem the form has is reported together, so a person fixing what he is
        # shown is not shown new problems next (the connection's and the parties' rules included).
        spec, form, problems = self._producer().examine(get_form(form_id).form_id, data)
        if form is not None:
            if by_provider:
                require(actor, Action.FILE_FOR_AGENCIES)
            else:
                check_may_file(actor, spec, form)
            try:
                check_related(self.records, spec, form, actor=actor, today=self.today())
            except ValidationFailed as err:
                problems += err.problems
            policy = self._policy(spec, form)
            problems += [dataclasses.replace(f.problem, message=sentence(f)) for f in self.findings(spec, form)
                         if policy.mode(f.rule) == "refuse"]
        if problems or form is None:
            raise ValidationFailed(problems, form_id=spec.form_id)
        return spec, form

    def _policy(self, spec: FormSpec, form: FormModel) -> Policy:
        owner = spec.owner(form)
        profile = self.records.agency_profile(owner.code) if owner.code else None
        return agency_policy(profile.data if profile is not None else None,
                             max_use_years=self.provider_max_use_years)

    def findings(self, spec: FormSpec, form: FormModel) -> list[Finding]:
        """What the form breaks of the rules its parties set (``forms/policies.py``), or notes."""
        return spec.policy_checks(form, self._policy(spec, form))

    def warnings(self, spec: FormSpec, form: FormModel) -> list[FieldProblem]:
        """The findings its parties' settings make warnings: shown before signing, kept with the record."""
        policy = self._policy(spec, form)
        return [dataclasses.replace(f.problem, message=sentence(f)) for f in self.findings(spec, form)
                if policy.mode(f.rule) == "warn"] + self._filed_before(spec, form)

    def _filed_before(self, spec: FormSpec, form: FormModel) -> list[FieldProblem]:
        """A 附件5 for a system and month that already has one: said before signing, not refused (a
        correction or a second register of a busy month is lawful)."""
        if spec.form_id != "annex5-query-log":
            return []
        month, system = getattr(form, "month", ""), getattr(form, "system_name", "")
        # Only the agency's registers filed since the month began (indexed by agency, form and date):
        # a register's entries run to megabytes, so the years before are not read.
        begun = datetime.fromisoformat(f"{month}-01T00:00:00").replace(tzinfo=TAIPEI)
        for earlier in self.records.find_records(RecordFilter(agency=spec.owner(form).code, form_id=spec.form_id,
                                                              created_from=begun, limit=200)):
            data = earlier.input or {}
            if data.get("month") == month and data.get("system_name") == system:
                return [problem("month", "already_filed", month=format_roc_month(month), system=system,
                                filed=format_roc_short(earlier.created_at.astimezone(TAIPEI).date()))]
        return []

    def signing_order_of(self, spec: FormSpec, form: FormModel, *, by_provider: bool = False) -> tuple[Block, ...]:
        """The blocks the document is signed in: the persons' the owning agency chose (its profile),
        its own, the provider's."""
        owner = spec.owner(form)
        profile = self.records.agency_profile(owner.code) if owner.code else None
        chosen = (profile.data.get("signature_blocks") or []) if profile is not None else []
        return signing_order(spec.form_id, chosen, by_provider=by_provider)

    # --- filing --------------------------------------------------------------------------------------

    def file(self, actor: Actor, form_id: str, data: Any, *, source_ip: str = "", record_id: str = "",
             by_provider: bool = False, reason: str = "") -> Filed:
        """Check, produce, sign what can be signed now, archive and set its after-effects going."""
        spec, form = self.check(actor, form_id, data, by_provider=by_provider)
        return self.file_checked(actor, spec, form, source_ip=source_ip, record_id=record_id,
                                 by_provider=by_provider, reason=reason)

    def file_or_wait(self, actor: Actor, spec: FormSpec, form: FormModel, *, source_ip: str = "") -> Filed | Waiting:
        """File the checked form — or, when its first block is a person's (the agency chose that its
        承辦人 signs first, say), keep it as a draft waiting for his signature."""
        order = self.signing_order_of(spec, form)
        if not order or order[0].signer != "person":
            return self.file_checked(actor, spec, form, source_ip=source_ip)
        owner = spec.owner(form)
        draft = self.records.save_draft(
            draft_id="drf_" + uuid.uuid4().hex, agency=owner.code or actor.agency or "-", form_id=spec.form_id,
            title=f"{spec.annex} {spec.title}（{owner.name}）"[:500], data=form.model_dump(mode="json", by_alias=True),
            by=actor.id, now=self._now(), awaiting=order[0].id)
        self.records.audit(NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="filing.await-signature", source_ip=source_ip,
            detail={"draft": draft.id, "form_id": spec.form_id, "block": order[0].id}))
        return Waiting(draft, tuple(b.id for b in order), tuple(w.as_dict() for w in self.warnings(spec, form)))

    def file_checked(self, actor: Actor, spec: FormSpec, form: FormModel, *, source_ip: str = "",
                     record_id: str = "", by_provider: bool = False, reason: str = "") -> Filed:
        produced = self.produce(actor, spec, form, by_provider=by_provider, reason=reason)
        return self.archive_produced(actor, produced, source_ip=source_ip, record_id=record_id,
                                     by_provider=by_provider)

    def archive_produced(self, actor: Actor, produced: Produced, *, source_ip: str = "", record_id: str = "",
                         by_provider: bool = False) -> Filed:
        """A produced document (its first signature in) archived as a new record, its after-effects set going."""
        # The provider files records under the agency's 機關代碼 (an audit's 附件4, its stop of a
        # connection): the step that called this checked the provider's role; the record and the
        # audit log name the person (actor.id).
        filer = dataclasses.replace(actor, role=Role.ADMIN) if by_provider else actor
        stored = self._archive().submit(produced, filer, source_ip=source_ip, record_id=record_id)
        if self._after_filing is not None:
            self._after_filing(produced.spec, produced.form, stored.record_id)
        return Filed(stored, produced.signing_order, signed_blocks(produced.signature_report), produced.warnings)

    def prepare_unsigned(self, actor: Actor, spec: FormSpec, form: FormModel, blocks: tuple[Block, ...]) -> Produced:
        """The checked form's PDF/A with its blocks' empty signature fields, signed by no one yet
        (what a person's card then signs first)."""
        return self._producer().produce_validated(spec, form, caller=actor.agency or actor.id, blocks=blocks,
                                                  related=describe(self.records, form, actor=actor))

    def preview(self, actor: Actor, spec: FormSpec, form: FormModel) -> bytes:
        """The checked form as its document will read, unsigned and kept nowhere (what a person looks
        at before signing)."""
        return self._producer().preview(spec, form, caller=actor.agency or actor.id,
                                        related=describe(self.records, form, actor=actor))

    def produce_form(self, actor: Actor, form_id: str, data: Any, *, caller: str = "") -> Produced:
        """The document as filing would produce and sign it, kept nowhere: ``render`` and batches of
        PDFs for people who archive elsewhere.  Only the form's own fields are checked — whether the
        actor may file it is a question for the archive, which this does not touch."""
        spec, form = self._producer().validate(get_form(form_id).form_id, data)
        return self.produce(actor, spec, form, caller=caller)

    def produce(self, actor: Actor, spec: FormSpec, form: FormModel, *, by_provider: bool = False,
                reason: str = "", caller: str = "") -> Produced:
        """The document with its blocks' fields, signed in the blocks that can be signed without a
        person (``SignatureRequired`` when its first block needs one)."""
        order = self.signing_order_of(spec, form, by_provider=by_provider)
        now = self._unattended(actor, spec, form, order, by_provider=by_provider)
        if not now:
            first = order[0] if order else None
            raise SignatureRequired(_who_first(spec, first), details={"block": first.id if first else ""})
        owner = spec.owner(form)
        reason = reason or f"{spec.annex} {spec.title}"

        def sign(pdf: bytes) -> SignedPdf:
            signed = SignedPdf(pdf, [])
            for current, provider in now:
                signed = self.document_signer.sign_block(
                    signed.pdf, provider=provider, block=current.id, label=current.label, reason=reason,
                    location=self.provider_name if current.signer == "provider" else owner.name)
            return signed

        produced = self._producer().produce_validated(spec, form, caller=caller or actor.agency or actor.id,
                                                      blocks=order, sign=sign,
                                                      related=describe(self.records, form, actor=actor))
        return dataclasses.replace(produced, warnings=tuple(w.as_dict() for w in self.warnings(spec, form)))

    def _unattended(self, actor: Actor, spec: FormSpec, form: FormModel, order: tuple[Block, ...], *,
                    by_provider: bool) -> list[tuple[Block, SignerProvider]]:
        """The blocks from the first on that the filer may have signed by a key now, with the key."""
        owner = spec.owner(form)
        found: list[tuple[Block, SignerProvider]] = []
        for current in order:
            if current.signer == "agency" and not by_provider and actor.role in (Role.STAFF, Role.ADMIN):
                key = self.signers.agency_key(owner.code, owner.name)
                if key is None:
                    break
                found.append((current, key[1]))
            elif current.signer == "provider" and by_provider:
                provider = self._provider()
                if provider is None:
                    raise SigningFailed("no key of the data provider is registered or configured "
                                        "(forms-service signers add --party provider, or FORMS_PROVIDER_PKCS12)")
                found.append((current, provider))
            else:
                break
        return found

    def _provider(self) -> SignerProvider | None:
        registered = self.signers.party_key("provider")
        return registered[1] if registered is not None else self._provider_key()

    def sign_next_with_key(self, actor: Actor, record: Record, *, source_ip: str = "") -> Filed:
        """「以機關憑證簽章」 on a record waiting for its agency's block: signed with the agency's key
        held here (its HSM or card reader), by a person who may file for it; a new version."""
        from .turns import signer_refusal, signing_state

        state = signing_state(self.records, record)
        current = block(record.form_id, state.next) if state.next else None
        if current is None or current.signer != "agency":
            raise InputError("這筆紀錄現在不是等待機關憑證簽章", details={"field": "record"})
        refusal = signer_refusal(actor, current, owner_code=record.agency_code, owner_name=record.agency_name,
                                 named="")
        if refusal:
            raise Forbidden(refusal)
        key = self.signers.agency_key(record.agency_code, record.agency_name)
        if key is None:
            raise SignatureRequired(_who_first(get_form(record.form_id), current), details={"block": current.id})
        latest = record.latest
        assert latest is not None
        archive = self._archive()
        spec = get_form(record.form_id)
        signed = self.document_signer.sign_block(
            archive.read(latest, actor=actor, source_ip=source_ip), provider=key[1], block=current.id,
            label=current.label, reason=f"{spec.annex} {spec.title}", location=record.agency_name)
        stored = archive.add_version(record, signed.pdf, signed.report, actor, reason=f"signed in block {current.id}",
                                     action="record.sign", source_ip=source_ip)
        return Filed(stored, record.signing_order, signed_blocks(signed.report))

    # --- reading a record's signing state ---------------------------------------------------------------

    @staticmethod
    def state(record: Record) -> tuple[tuple[str, ...], str | None]:
        """(the blocks signed, the next block) of a record, from its newest version's signatures."""
        latest = record.latest
        signed = signed_blocks(latest.signature_report) if latest is not None else ()
        return signed, next((b for b in record.signing_order if b not in signed), None)


def signed_blocks(report: list[dict[str, Any]]) -> tuple[str, ...]:
    """The blocks a document's signature report shows signed (its signatures' fields)."""
    return tuple(r["field"] for r in report if r.get("kind") == "signature")


def _who_first(spec: FormSpec, first: Block | None) -> str:
    if first is None:
        return f"{spec.annex} 沒有可簽章的欄位"
    if first.signer == "person":
        return (f"依本機關的設定，{spec.annex}須先由「{first.label}」以自己的憑證卡簽章：請於網頁「以憑證卡簽章」，"
                "或以簽章 API（POST /api/v1/signing-sessions）完成")
    return (f"{spec.annex}須先於「{first.label}」欄以機關憑證簽章，但本機關尚未登錄簽章金鑰："
            "請系統管理者登錄（forms-service signers add），或於網頁以機關憑證卡簽章")


__all__ = ["Filed", "FilingService", "SignatureRequired", "Waiting", "block", "signed_blocks"]
