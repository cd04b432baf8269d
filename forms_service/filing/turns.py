"""Whose turn it is to sign a record, who may take it, and a signer's return of it.

A record's signing order (its blocks, in order) is signed in turn: the next block is the first not
yet signed.  The person whose block it is may sign it — or return the record with a reason, which
ends its signing (an audit entry ``record.return``, as the provider's return of a 附件2 always
was); the filer then files a corrected form as a new record.  A draft waiting for its first
signature (``Waiting``) is returned to its filer the same way, as a draft again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from ..access import Actor, Role
from ..access.values import User
from ..archive.filing import may_file_for
from ..catalog import AuditEvent, Draft, NewAuditEvent, Record, RecordFilter
from ..connections.due import DueItem
from ..errors import Forbidden, InputError
from ..forms import get_form
from ..forms.signatures import Block, block
from ..taiwan import TAIPEI, account_key

RETURN = "record.return"


class TurnsCatalog(Protocol):
    def audit(self, event: NewAuditEvent) -> Any: ...

    def end_signing(self, record_id: str, event: NewAuditEvent) -> None: ...

    def audit_events(self, *, record_id: str | None = None, limit: int = 100) -> list[AuditEvent]: ...


@dataclass(frozen=True)
class Returned:
    by: str
    at: datetime
    reason: str
    block: str  # the block whose signer returned it ("" for the provider's review of a 附件2)


@dataclass(frozen=True)
class SigningState:
    order: tuple[str, ...]
    signed: tuple[str, ...]
    next: str | None  # the block signed next (None: all signed, or returned)
    returned: Returned | None = None

    @property
    def waiting(self) -> bool:
        """待簽: some block is still to be signed, and no signer returned it."""
        return self.next is not None


def signing_state(catalog: TurnsCatalog, record: Record) -> SigningState:
    latest = record.latest
    signed = tuple(r["field"] for r in (latest.signature_report if latest else []) if r.get("kind") == "signature")
    returned = returned_of(catalog, record.id)
    upcoming = next((b for b in record.signing_order if b not in signed), None)
    return SigningState(tuple(record.signing_order), signed, None if returned else upcoming, returned)


def returned_of(catalog: TurnsCatalog, record_id: str) -> Returned | None:
    for event in catalog.audit_events(record_id=record_id, limit=200):
        if event.action == RETURN and event.outcome == "ok":
            return Returned(by=event.actor, at=event.at, reason=str(event.detail.get("reason", "")),
                            block=str(event.detail.get("block", "")))
    return None


def named_account(form_id: str, data: dict[str, Any], current: Block) -> str:
    """The account the form names for this block's person ("" when it names none)."""
    if not current.person:
        return ""
    person = data.get(current.person)
    return str(person.get("account", "") or "").strip() if isinstance(person, dict) else ""


def signer_refusal(actor: Actor, current: Block, *, owner_code: str, owner_name: str, named: str) -> str:
    """Why ``actor`` may not sign (or return) ``current`` of a document of ``owner_code`` — a
    sentence — or "" when he may.  His card is checked apart (``sessions.py``)."""
    if current.signer == "provider":
        return "" if actor.role in (Role.PROVIDER, Role.ADMIN) else f"「{current.label}」欄由資料提供機關簽章"
    if actor.agency != owner_code:
        return f"「{current.label}」欄須由{owner_name}的人員簽章"
    if current.signer == "agency":
        if may_file_for(actor, owner_code):
            return ""
        return f"「{current.label}」欄須由{owner_name}可送件的人員以機關憑證簽章"
    if actor.role not in (Role.STAFF, Role.ADMIN, Role.AUDITOR):
        return f"「{current.label}」欄須由{owner_name}的人員以自己的憑證卡簽章"
    username = actor.id.removeprefix("user:")
    if named and account_key(named) != account_key(username):
        return f"「{current.label}」是帳號 {named}，須由本人簽章"
    return ""


def return_record(catalog: TurnsCatalog, actor: Actor, record: Record, *, reason: str, source_ip: str = "") -> None:
    """The next block's signer returns the record with ``reason``: its signing ends."""
    state = signing_state(catalog, record)
    current = block(record.form_id, state.next) if state.next else None
    if current is None:
        raise InputError("這筆紀錄已完成簽章或已退回，無從退回", details={"field": "record"})
    refusal = signer_refusal(actor, current, owner_code=record.agency_code, owner_name=record.agency_name,
                             named=named_account(record.form_id, record.input, current))
    if refusal:
        raise Forbidden(refusal)
    reason = _reason(reason)
    catalog.end_signing(record.id, NewAuditEvent(actor=actor.id, agency=record.agency_code, action=RETURN,
                                                 record_id=record.id, source_ip=source_ip,
                                                 detail={"reason": reason, "block": current.id}))


def return_draft(catalog: Any, actor: Actor, draft: Draft, *, reason: str, now: datetime, source_ip: str = "") -> None:
    """The first signer returns a filing waiting for him: a draft of its filer's again."""
    current = block(draft.form_id, draft.awaiting) if draft.awaiting else None
    if current is None:
        raise InputError("這份草稿沒有等待簽章", details={"field": "draft"})
    spec = get_form(draft.form_id)
    found = draft.data.get(spec.owner_field)
    owner: dict[str, Any] = found if isinstance(found, dict) else {}
    refusal = signer_refusal(actor, current, owner_code=draft.agency, owner_name=str(owner.get("name", "")),
                             named=named_account(draft.form_id, draft.data, current))
    if refusal:
        raise Forbidden(refusal)
    reason = _reason(reason)
    catalog.save_draft(draft_id=draft.id, agency=draft.agency, form_id=draft.form_id, title=draft.title,
                       data=draft.data, by=actor.id, now=now, awaiting="")
    catalog.audit(NewAuditEvent(actor=actor.id, agency=draft.agency, action="draft.return", source_ip=source_ip,
                                detail={"draft": draft.id, "reason": reason, "block": current.id,
                                        "filed_by": draft.created_by}))


class SignatureDueCatalog(Protocol):
    def records_awaiting_signature(self, *, agency: str | None = None, limit: int = 500) -> list[Record]: ...

    def records_returned(self, *, agency: str | None = None, limit: int = 500) -> list[Record]: ...

    def find_records(self, query: RecordFilter) -> list[Record]: ...

    def drafts(self, *, agency: str | None = None, limit: int = 100) -> list[Draft]: ...

    def users(self) -> list[User]: ...


def signature_due(catalog: SignatureDueCatalog, *, today: date, due_days: int,
                  agency: str | None = None) -> list[DueItem]:
    """Each document waiting for its next signer — a record's next block, or a filing waiting as a
    draft for its first — for the people who may sign it: the person the form names for the block
    (his account), else the agency's staff; the provider's people for the provider's block.  It is
    due ``due_days`` after it began waiting (the agency's practice)."""
    people = catalog.users()
    items = []
    for record in catalog.records_awaiting_signature(agency=agency):
        current = block(record.form_id, record.awaiting)
        if current is None or record.latest is None:
            continue
        since = record.latest.created_at.astimezone(TAIPEI).date()
        items.append(DueItem(
            kind="signature", agency=record.agency_code, due_on=since + timedelta(days=due_days),
            title=f"{record.title}：待「{current.label}」簽章", record_id=record.id,
            remind=_signers_of(people, current, record.agency_code, named_account(record.form_id, record.input,
                                                                                  current))))
    for draft in catalog.drafts(agency=agency, limit=500):
        current = block(draft.form_id, draft.awaiting) if draft.awaiting else None
        if current is None:
            continue
        items.append(DueItem(
            kind="signature", agency=draft.agency, due_on=draft.updated_at.astimezone(TAIPEI).date()
            + timedelta(days=due_days), title=f"{draft.title}：待「{current.label}」簽章後歸檔", draft_id=draft.id,
            remind=_signers_of(people, current, draft.agency, named_account(draft.form_id, draft.data, current))))
    for record in catalog.records_returned(agency=agency):
        if record.latest is None or _filed_again(catalog, record):
            continue
        # A returned document is the agency's to correct and file again: on its staff's list.
        items.append(DueItem(
            kind="returned", agency=record.agency_code,
            due_on=record.latest.created_at.astimezone(TAIPEI).date() + timedelta(days=due_days),
            title=f"{record.title}：已被退回，請修正後重新送件", record_id=record.id,
            remind=tuple(u.username for u in people if u.agency == record.agency_code and u.role == "staff")))
    return items


def _filed_again(catalog: SignatureDueCatalog, returned: Record) -> bool:
    """Whether a later record of the same form and connection (its correction) has been filed."""
    if not returned.connection_id:
        return False
    later = catalog.find_records(RecordFilter(agency=returned.agency_code, form_id=returned.form_id,
                                              created_from=returned.created_at, limit=50))
    return any(r.id != returned.id and r.connection_id == returned.connection_id for r in later)


def _signers_of(people: list[User], current: Block, agency: str, named: str) -> tuple[str, ...]:
    if current.signer == "provider":
        return tuple(u.username for u in people if u.role == "provider")
    if named:
        found = tuple(u.username for u in people if u.agency == agency and named and
                      account_key(named) in (account_key(u.username), account_key(u.system_account or "")))
        if found:
            return found
    return tuple(u.username for u in people if u.agency == agency and u.role == "staff")


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())[:1000]
    if not reason:
        raise InputError("請填寫退回理由，讓送件人知道要修正什麼", details={"field": "reason"})
    return reason
