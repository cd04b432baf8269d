"""Signing with a card, in two steps: a signing session.

    begin     the signer's certificate and what he signs — a new filing (its form, or a draft waiting
              for him), or the record whose next block is his — checked (his turn, his block, his
              card, his agency's certificate), the document prepared with his block's place
              reserved; the answer is the bytes his card signs and when the session expires
    complete  his card's raw signature over those bytes: the signature built, validated (his
              certificate's chain and revocation now), timestamped to the service's level, and the
              document filed as a new record or as the record's next version

The PIN never comes here: the page hands it to the card's own program on the signer's PC (HiPKI's
LocalSignServer), which answers the signature.  A session lives ``SESSION_MINUTES`` and is deleted
when it completes, is refused, or expires; nothing else is kept of it but its audit entries.

Who may sign which block:
- a person's block (承辦人, 單位主管, 查核人員…): a person of the document's agency, with his own card —
  a certificate bound to his account (``signers/people.py``: an administrator binds it, or his first
  use keeps it pending approval); where the form names the block's person with an account, that
  person alone;
- the agency's block: a person of the agency who may file for it, with the agency's own 機關憑證 card
  (its certificate names the agency);
- the provider's block: the data provider's people, with the provider's card.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from asn1crypto import x509 as asn1_x509

from signing.deferred import Prepared

from ..access import Actor
from ..access.values import AccessCatalog
from ..archive import Archive
from ..catalog import Draft, NewAuditEvent, Record
from ..clock import Clock
from ..errors import Conflict, Forbidden, InputError, NotFound, SessionExpired, SignatureRefused
from ..forms import FormSpec, get_form
from ..forms.signatures import Block, block
from ..produce.producer import Produced
from ..signers import people
from .service import Filed, FilingCatalog, FilingService, signed_blocks
from .session_store import SigningSession, SqlSigningSessions
from .turns import TurnsCatalog, named_account, signer_refusal, signing_state

SESSION_MINUTES = 15
HASH_ALGORITHM = "SHA256"  # what the card is asked to hash the bytes with (HiPKI's hashAlgorithm)


class SessionCatalog(FilingCatalog, AccessCatalog, TurnsCatalog, Protocol):
    """What signing sessions read: records, drafts, accounts."""

    def draft(self, draft_id: str, *, agency: str | None = None) -> Draft | None: ...

    def delete_draft(self, draft_id: str) -> bool: ...


@dataclass(frozen=True)
class Started:
    """A session begun: the bytes the card signs (base64) and the rest a page shows."""

    session: SigningSession
    block: Block
    signer: str  # as the certificate names him

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.session.id, "to_be_signed": base64.b64encode(self.session.to_be_signed).decode(),
                "hash_algorithm": HASH_ALGORITHM, "signature_type": "PKCS1",
                "expires_at": self.session.expires_at.isoformat(), "block": self.block.id,
                "block_label": self.block.label, "signer": self.signer, "form_id": self.session.form_id,
                "record_id": self.session.record_id}


class SigningSessions:
    def __init__(self, *, filing: FilingService, store: SqlSigningSessions, records: SessionCatalog,
                 archive: Callable[[], Archive], clock: Clock, authorities: list[Any], provider_name: str,
                 minutes: int = SESSION_MINUTES):
        self.filing = filing
        self.store = store
        self.records = records
        self._archive = archive
        self.clock = clock
        self.authorities = authorities  # the CAs of signers' cards: a chain for each certificate
        self.provider_name = provider_name
        self.minutes = minutes

    # --- beginning -----------------------------------------------------------------------------------

    def begin(self, actor: Actor, *, certificate: bytes, form_id: str = "", data: Any = None, draft_id: str = "",
              record_id: str = "", block_id: str = "", source_ip: str = "") -> Started:
        """Check the signer and his turn, prepare the document, keep the session."""
        parsed = people.load_certificate(certificate)
        now = self.clock.now()
        self.sweep(now)
        if record_id:
            record = self._record(actor, record_id)
            spec, form = get_form(record.form_id), None
            state = signing_state(self.records, record)
            if state.returned is not None:
                raise InputError("這筆紀錄已被退回，不再簽章：請送件人修正後重新送件", details={"field": "record"})
            next_block = state.next
            order = record.signing_order
            current = self._turn(spec, order, next_block, block_id)
            owner_code, owner_name = record.agency_code, record.agency_name
            named = named_account(spec.form_id, record.input, current)
            latest = record.latest
            assert latest is not None
            pdf = self._archive().read(latest, actor=actor, source_ip=source_ip)
            produced = None
        else:
            if draft_id:
                draft = self.records.draft(draft_id, agency=actor.scope)
                if draft is None:
                    raise NotFound("找不到這份草稿（或它已送出）", details={"field": "draft"})
                form_id, data = draft.form_id, draft.data
            if not form_id:
                raise InputError("請指明要簽章的表單、草稿或紀錄", details={"field": "form"})
            spec, form = self.filing.check(actor, form_id, data)
            blocks = self.filing.signing_order_of(spec, form)
            order = tuple(b.id for b in blocks)
            current = self._turn(spec, order, order[0] if order else None, block_id)
            owner = spec.owner(form)
            owner_code, owner_name = owner.code, owner.name
            named = named_account(spec.form_id, form.model_dump(mode="json", by_alias=True), current)
            produced = self.filing.prepare_unsigned(actor, spec, form, blocks)
            pdf = produced.pdf
        signer = self._check_signer(actor, parsed, current, owner_code=owner_code, owner_name=owner_name,
                                    named=named, spec=spec, now=now, source_ip=source_ip)
        prepared = self.filing.document_signer.prepare_block(
            pdf, parsed, chain=self.authorities, block=current.id, label=current.label,
            reason=f"{spec.annex} {spec.title}",
            location=self.provider_name if current.signer == "provider" else owner_name)
        session = _session(prepared, actor=actor, agency=owner_code, form_id=spec.form_id, block=current.id,
                           certificate=parsed.dump(), now=now, minutes=self.minutes, record_id=record_id,
                           base_version=(record.latest.number if record_id and record.latest else 0),
                           draft_id=draft_id, produced=produced, order=order)
        self.store.add(session, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="signing-session.begin", record_id=record_id,
            source_ip=source_ip, detail={"session": session.id, "form_id": spec.form_id, "block": current.id,
                                         "certificate": hashlib.sha256(parsed.dump()).hexdigest(),
                                         "draft": draft_id}))
        return Started(session, current, signer)

    def _record(self, actor: Actor, record_id: str) -> Record:
        record = self.records.get_record(record_id, agency=actor.scope)
        if record is None:
            raise NotFound("找不到這筆紀錄", details={"field": "record"})
        return record

    @staticmethod
    def _turn(spec: FormSpec, order: tuple[str, ...], next_block: str | None, asked: str) -> Block:
        """The block signed now: the next of the signing order (the one asked must be it)."""
        if next_block is None:
            raise InputError(f"這份{spec.annex}已完成所有簽章", details={"field": "block"})
        if asked and asked != next_block:
            wanted = block(spec.form_id, asked)
            now_block = block(spec.form_id, next_block)
            raise InputError(f"現在輪到「{now_block.label if now_block else next_block}」簽章，"
                             f"還不是「{wanted.label if wanted else asked}」", details={"field": "block"})
        found = block(spec.form_id, next_block)
        if found is None or next_block not in order:
            raise InputError(f"{spec.annex} 沒有「{next_block}」簽章欄", details={"field": "block"})
        return found

    def _check_signer(self, actor: Actor, certificate: asn1_x509.Certificate, current: Block, *, owner_code: str,
                      owner_name: str, named: str, spec: FormSpec, now: datetime, source_ip: str) -> str:
        """Whether this person may sign this block with this card (a sentence when not); his name
        as the certificate says."""
        registry = self.filing.signers
        if not actor.id.startswith("user:"):
            raise Forbidden("以憑證卡簽章須由本人登入（或以本人的權杖）進行，不能以系統權杖代簽")
        refusal = signer_refusal(actor, current, owner_code=owner_code, owner_name=owner_name, named=named)
        if refusal:
            raise Forbidden(refusal)
        if current.signer == "provider":
            problem = registry.certificate_problem(certificate, party="provider", agency_name=self.provider_name,
                                                   intermediates=self.authorities)
        elif current.signer == "agency":
            problem = registry.certificate_problem(certificate, party="agency", agency=owner_code,
                                                   agency_name=owner_name, intermediates=self.authorities)
        else:
            username = actor.id.removeprefix("user:")
            binding = people.met(registry.store, username, certificate, now=now, source_ip=source_ip)
            card_refusal = people.refusal(binding, username)
            if card_refusal:
                raise Forbidden(card_refusal, details={"field": "certificate"})
            problem = registry.certificate_problem(certificate, party="person", intermediates=self.authorities)
        if problem:
            raise SignatureRefused(problem, details={"field": "certificate"})
        from ..produce.signer import certificate_names

        return certificate_names(certificate)[0]

    # --- completing ----------------------------------------------------------------------------------

    def complete(self, actor: Actor, session_id: str, signature: str | bytes, *, source_ip: str = "") -> Filed:
        """File what the session prepared, signed with ``signature`` (base64 text or bytes)."""
        session = self.store.get(session_id)
        if session is None:
            raise SessionExpired("這個簽章作業已結束或逾時：請重新開始簽章", details={"field": "session"})
        if session.actor != actor.id:
            raise Forbidden("這個簽章作業是別人開始的", details={"field": "session"})
        if self.clock.now() >= session.expires_at:
            self._end(session, actor, "expired", source_ip)
            raise SessionExpired(f"簽章作業已逾時（{self.minutes} 分鐘內須完成）：請重新開始簽章",
                                 details={"field": "session"})
        raw = _signature_bytes(signature)
        certificate = asn1_x509.Certificate.load(session.certificate)
        record = self._record(actor, session.record_id) if session.record_id else None
        if record is not None and (record.latest is None or record.latest.number != session.base_version):
            self._end(session, actor, "superseded", source_ip)
            raise Conflict("這份文件在您簽章期間已有新版本：請重新開始簽章", details={"field": "session"})
        try:
            signed = self.filing.document_signer.complete_block(_prepared(session), certificate, raw,
                                                                chain=self.authorities)
        except SignatureRefused:
            self._end(session, actor, "refused", source_ip)
            raise
        if not self.store.end(session.id):
            raise SessionExpired("這個簽章作業已由另一個請求完成", details={"field": "session"})
        order = tuple(session.signing_order)
        if record is None:
            spec, form = self.filing.check(actor, session.form_id, session.data)
            produced = Produced(spec, form, signed.pdf, hashlib.sha256(signed.pdf).hexdigest(), session.pages,
                                signed.report, session.pdfa, order,
                                tuple(w.as_dict() for w in self.filing.warnings(spec, form)))
            filed = self.filing.archive_produced(actor, produced, source_ip=source_ip)
            if session.draft_id:
                self.records.delete_draft(session.draft_id)
        else:
            stored = self._archive().add_version(record, signed.pdf, signed.report, actor,
                                                 reason=f"signed in block {session.block}", action="record.sign",
                                                 source_ip=source_ip)
            filed = Filed(stored, record.signing_order, signed_blocks(signed.report))
        self.store.end(session.id, None)
        return filed

    def _end(self, session: SigningSession, actor: Actor, how: str, source_ip: str) -> None:
        self.store.end(session.id, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="signing-session.end", outcome=how,
            record_id=session.record_id, source_ip=source_ip,
            detail={"session": session.id, "form_id": session.form_id, "block": session.block}))

    def sweep(self, now: datetime) -> int:
        """Delete the sessions past their expiry: nothing of them is kept."""
        ended = 0
        for session_id in self.store.expired(now):
            if self.store.end(session_id, NewAuditEvent(actor="service:signing", action="signing-session.end",
                                                         outcome="expired", detail={"session": session_id})):
                ended += 1
        return ended


def _signature_bytes(signature: str | bytes) -> bytes:
    if isinstance(signature, bytes):
        return signature
    try:
        raw = base64.b64decode(signature.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not raw:
        raise InputError("簽章值須為憑證卡回傳的簽章（Base64 編碼）", details={"field": "signature"})
    return raw


def _session(prepared: Prepared, *, actor: Actor, agency: str, form_id: str, block: str, certificate: bytes,
             now: datetime, minutes: int, record_id: str, base_version: int, draft_id: str,
             produced: Produced | None, order: tuple[str, ...]) -> SigningSession:
    return SigningSession(
        id="ses_" + uuid.uuid4().hex, actor=actor.id, agency=agency, form_id=form_id, block=block,
        certificate=certificate, document=prepared.document, original_length=prepared.original_length,
        to_be_signed=prepared.to_be_signed, document_digest=prepared.document_digest,
        reserved_start=prepared.reserved_start, reserved_end=prepared.reserved_end,
        md_algorithm=prepared.md_algorithm, signing_time=prepared.signing_time, created_at=now,
        expires_at=now + timedelta(minutes=minutes), record_id=record_id, base_version=base_version,
        draft_id=draft_id, data=(produced.form.model_dump(mode="json", by_alias=True) if produced else {}),
        signing_order=list(order), pages=produced.pages if produced else 0,
        pdfa=dict(produced.pdfa) if produced else {})


def _prepared(session: SigningSession) -> Prepared:
    return Prepared(document=session.document, original_length=session.original_length,
                    to_be_signed=session.to_be_signed, document_digest=session.document_digest,
                    reserved_start=session.reserved_start, reserved_end=session.reserved_end,
                    md_algorithm=session.md_algorithm, signing_time=session.signing_time)


__all__ = ["HASH_ALGORITHM", "SESSION_MINUTES", "SigningSessions", "Started"]
