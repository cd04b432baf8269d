"""The signing step as a ceremony: check the document, then sign it in your block.

``/sign/drafts/<id>`` (a form filled and checked, or filed through the API and waiting for its first
signer) and ``/records/<id>/sign`` (a record whose next block is yours) show the real preview, the
signing order with what is signed and whose turn it is, and the ways to sign the block:

- 「以憑證卡簽章」: the card in your own PC's reader, through HiPKI's LocalSignServer (``sign.js``
  speaks its popup protocol): the page reads the card's certificate, the service prepares the
  document (``POST /sign/begin``), the card signs what the service prepared — the PIN goes from
  this page to the card's program only — and the page hands the signature to the service, which
  files the record or its next version;
- 「以機關憑證簽章」: the agency's block, with the agency's key held by the service (its HSM or the
  card in the server's reader), for those who may file for it;
- 「退回」: the block's signer returns it with a reason; its filer corrects it and files it anew.

The confirmation is the record's page, saying what was signed and who is next.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from flask import g, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...access import Actor
from ...catalog import Draft, Record
from ...errors import InputError, NotFound
from ...filing.service import FilingService
from ...filing.turns import named_account, return_draft, return_record, signer_refusal, signing_state
from ...forms import get_form
from ...forms.signatures import SIGNER_NAMES, Block, block
from ...produce.producer import page_count
from .. import responses
from ..access import visible_record
from ..auth import source_ip
from ..context import catalog, components
from ..preview import render_page
from . import bp, signed_in

PREVIEW_PAGES = 6


@dataclass
class Step:
    block: Block
    state: str  # signed | now | later | unused


@dataclass
class Ceremony:
    """What the signing page shows."""

    title: str
    annex: str
    agency: str  # the document's agency (機關代碼)
    agency_name: str
    steps: list[Step]
    current: Block | None
    refusal: str  # why this person may not sign the current block ("" when he may)
    may_use_agency_key: bool
    previews: list[str] = field(default_factory=list)  # image addresses
    pages: int = 0
    draft_id: str = ""
    record_id: str = ""
    returned: str = ""
    begin_url: str = ""
    complete_url: str = ""
    agency_key_url: str = ""
    return_url: str = ""
    demo_card: tuple[str, str, str] | None = None  # demo mode: (the card's holder, its token, its PIN)
    warnings: list[str] = field(default_factory=list)  # its parties' rules it breaks, where they only warn


def _steps(form_id: str, order: tuple[str, ...], signed: tuple[str, ...], current: str | None) -> list[Step]:
    steps = []
    for block_id in order:
        found = block(form_id, block_id)
        if found is not None:
            steps.append(Step(found, "signed" if block_id in signed else "now" if block_id == current else "later"))
    return steps


@bp.get("/sign/drafts/<draft_id>")
def sign_draft(draft_id: str) -> str:
    actor = signed_in()
    draft = _draft(actor, draft_id)
    return _page(actor, _draft_ceremony(actor, draft))


def _draft(actor: Actor, draft_id: str) -> Draft:
    draft = catalog().draft(draft_id, agency=actor.scope)
    if draft is None:
        raise NotFound("找不到這份草稿：它可能已送出或被刪除")
    return draft


def _draft_ceremony(actor: Actor, draft: Draft) -> Ceremony:
    service = components()
    filing = service.filing
    spec, form = filing.check(actor, draft.form_id, draft.data) if not draft.awaiting else \
        service.producer.validate(draft.form_id, draft.data)
    blocks = filing.signing_order_of(spec, form)
    order = tuple(b.id for b in blocks)
    current = blocks[0] if blocks else None
    owner = spec.owner(form)
    refusal = signer_refusal(actor, current, owner_code=owner.code, owner_name=owner.name,
                             named=named_account(spec.form_id, draft.data, current)) if current else "沒有可簽章的欄位"
    pdf = filing.preview(actor, spec, form)
    pages = page_count(pdf)
    digest = hashlib.sha256(pdf).hexdigest()
    previews = ["data:image/png;base64," + base64.b64encode(render_page(digest, n, lambda: pdf)).decode()
                for n in range(1, min(pages, PREVIEW_PAGES) + 1)]
    return Ceremony(
        title=draft.title, annex=spec.annex, agency=owner.code, agency_name=owner.name,
        steps=_steps(spec.form_id, order, (), current.id if current else None),
        current=current, refusal=refusal,
        may_use_agency_key=bool(current and current.signer == "agency" and not refusal),
        previews=previews, pages=pages, draft_id=draft.id,
        warnings=[w.message for w in filing.warnings(spec, form)],
        begin_url=url_for("ui.begin_signing"), complete_url=url_for("ui.complete_signing"),
        agency_key_url=url_for("ui.sign_draft_with_agency_key", draft_id=draft.id),
        return_url=url_for("ui.return_draft_page", draft_id=draft.id) if draft.awaiting else "")


@bp.get("/records/<record_id>/sign")
def sign_record(record_id: str) -> str:
    actor = signed_in()
    record = visible_record(actor, record_id)
    return _page(actor, _record_ceremony(actor, record))


def _page(actor: Actor, ceremony: Ceremony) -> str:
    service = components()
    if ceremony.current is not None and not ceremony.refusal and service.demo_pki is not None:
        username = actor.id.removeprefix("user:")
        user = catalog().user(username)
        ceremony.demo_card = service.demo_card_for(
            ceremony.current, username=username, person_name=user.full_name if user else "",
            agency=ceremony.agency, agency_name=ceremony.agency_name)
    return render_template("sign.html", ceremony=ceremony, names=SIGNER_NAMES,
                           local_sign_url=service.settings.local_sign_url)


def _record_ceremony(actor: Actor, record: Record) -> Ceremony:
    state = signing_state(catalog(), record)
    spec = get_form(record.form_id)
    current = block(record.form_id, state.next) if state.next else None
    refusal = "這份文件已完成所有簽章" if current is None and not state.returned else ""
    if current is not None:
        refusal = signer_refusal(actor, current, owner_code=record.agency_code, owner_name=record.agency_name,
                                 named=named_account(record.form_id, record.input, current))
    latest = record.latest
    pages = latest.pages if latest else 0
    previews = [url_for("ui.preview", record_id=record.id, number=latest.number, page=n)
                for n in range(1, min(pages, PREVIEW_PAGES) + 1)] if latest else []
    return Ceremony(
        title=record.title, annex=spec.annex, agency=record.agency_code, agency_name=record.agency_name,
        steps=_steps(record.form_id, record.signing_order, state.signed, state.next),
        current=current, refusal=refusal, may_use_agency_key=bool(current and current.signer == "agency"
                                                                    and not refusal),
        previews=previews, pages=pages, record_id=record.id, warnings=record_warnings(record.id),
        returned=state.returned.reason if state.returned else "",
        begin_url=url_for("ui.begin_signing"), complete_url=url_for("ui.complete_signing"),
        agency_key_url=url_for("ui.sign_record_with_agency_key", record_id=record.id),
        return_url=url_for("ui.return_record_page", record_id=record.id))


def record_warnings(record_id: str) -> list[str]:
    """The warnings kept with a record when it was filed (its audit entry ``record.create``)."""
    for event in catalog().audit_events(record_id=record_id, limit=200):
        if event.action == "record.create":
            return [str(w.get("message", "")) for w in event.detail.get("warnings", []) if isinstance(w, dict)]
    return []


# --- the card, in two steps ------------------------------------------------------------------------

@bp.post("/sign/begin")
def begin_signing() -> Response:
    """The page's first step with a card (JSON, from ``sign.js``): the document prepared for the
    card's certificate; the answer carries the bytes the card signs."""
    g.json_errors = True  # sign.js shows the sentence beside the card's step
    actor = signed_in()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InputError("讀不到憑證卡的資料，請重新整理頁面後再試", details={"field": "certificate"})
    try:
        certificate = base64.b64decode(str(body.get("certificate", "")), validate=True)
    except ValueError:
        certificate = b""
    if not certificate:
        raise InputError("讀不到憑證卡上的憑證：請確認卡片已插入讀卡機", details={"field": "certificate"})
    started = components().signing_sessions.begin(
        actor, certificate=certificate, draft_id=str(body.get("draft") or ""), record_id=str(body.get("record") or ""),
        block_id=str(body.get("block") or ""), source_ip=source_ip())
    return jsonify(responses.SigningSessionAnswer.model_validate(started.as_dict()).body())


@bp.post("/sign/complete")
def complete_signing() -> Response:
    """The card's signature: the record filed (or its next version); the confirmation is its page."""
    actor = signed_in()
    filed = components().signing_sessions.complete(actor, request.form.get("session", ""),
                                                   request.form.get("signature", ""), source_ip=source_ip())
    return _confirmed(filed.record_id, filed.signed)


def _confirmed(record_id: str, signed: tuple[str, ...]) -> Response:
    return redirect(url_for("ui.record", record_id=record_id, signed=signed[-1] if signed else ""), code=303)


# --- the agency's key held here ------------------------------------------------------------------

@bp.post("/sign/drafts/<draft_id>/agency-key")
def sign_draft_with_agency_key(draft_id: str) -> Response:
    actor = signed_in()
    draft = _draft(actor, draft_id)
    filing: FilingService = components().filing
    spec, form = filing.check(actor, draft.form_id, draft.data)
    filed = filing.file_checked(actor, spec, form, source_ip=source_ip())
    catalog().delete_draft(draft.id)  # filed: the draft has done its work
    return _confirmed(filed.record_id, filed.signed)


@bp.post("/records/<record_id>/sign/agency-key")
def sign_record_with_agency_key(record_id: str) -> Response:
    actor = signed_in()
    record = visible_record(actor, record_id)
    filed = components().filing.sign_next_with_key(actor, record, source_ip=source_ip())
    return _confirmed(record.id, filed.signed)


# --- returning it ----------------------------------------------------------------------------------

@bp.post("/sign/drafts/<draft_id>/return")
def return_draft_page(draft_id: str) -> Response:
    actor = signed_in()
    draft = _draft(actor, draft_id)
    return_draft(catalog(), actor, draft, reason=request.form.get("reason", ""), now=components().clock.now(),
                 source_ip=source_ip())
    return redirect(url_for("ui.drafts", returned=1), code=303)


@bp.post("/records/<record_id>/return")
def return_record_page(record_id: str) -> Response:
    actor = signed_in()
    record = visible_record(actor, record_id)
    return_record(catalog(), actor, record, reason=request.form.get("reason", ""), source_ip=source_ip())
    return redirect(url_for("ui.record", record_id=record.id), code=303)

