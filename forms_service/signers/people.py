"""People's own certificates — the 自然人憑證 on their cards — bound to their accounts.

A person signs in the browser with his card; the service takes the signature only from a card whose
certificate is bound to the signed-in account.  An administrator binds a certificate to an account
(approved at once), or a person meets the service with a card not yet bound: that certificate is
kept as his, pending, and signs nothing until an administrator approves it.  A certificate is bound
to one account only: another person's card is refused.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509

from ..access import Actor
from ..access.policy import Action, require
from ..access.values import AccessCatalog
from ..catalog import NewAuditEvent
from ..errors import InputError, NotFound
from .store import SqlSigners
from .values import PersonCertificate

STATE_NAMES = {"pending": "待核准", "approved": "已核准", "removed": "已移除"}


def load_certificate(data: bytes) -> asn1_x509.Certificate:
    """A certificate from DER or PEM bytes; ``InputError`` naming the field otherwise."""
    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        certificate = asn1_x509.Certificate.load(data)
        certificate.subject  # noqa: B018 — parses it now, so garbage fails here
    except (ValueError, TypeError) as err:
        raise InputError(f"這不是憑證檔（DER 或 PEM）：{err}", details={"field": "certificate"}) from None
    return certificate


def fingerprint(certificate: asn1_x509.Certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def bind(store: SqlSigners, users: AccessCatalog, actor: Actor, *, username: str, certificate: bytes,
         now: datetime, source_ip: str = "") -> PersonCertificate:
    """An administrator binds ``certificate`` to ``username``'s account: approved."""
    require(actor, Action.MANAGE_ACCESS, "只有系統管理者可以登錄人員的憑證")
    user = users.user(username.strip())
    if user is None:
        raise InputError(f"沒有帳號 {username}", details={"field": "username"})
    parsed = load_certificate(certificate)
    found = store.person_certificate(fingerprint(parsed))
    if found is not None and found.username != user.username:
        raise InputError(f"此憑證已登錄於帳號 {found.username}：一張憑證只屬於一個人", details={"field": "certificate"})
    if found is not None:
        if found.state != "approved":
            decide(store, actor, found.fingerprint, approve=True, now=now, source_ip=source_ip)
        return store.person_certificate(found.fingerprint) or found
    value = PersonCertificate(fingerprint=fingerprint(parsed), username=user.username, certificate=parsed.dump(),
                              subject=parsed.subject.human_friendly[:500], state="approved", registered_at=now,
                              registered_by=actor.id, decided_at=now, decided_by=actor.id)
    store.add_person_certificate(value, NewAuditEvent(
        actor=actor.id, agency=actor.agency, action="person-certificate.bind", source_ip=source_ip,
        detail={"username": user.username, "fingerprint": value.fingerprint, "subject": value.subject}))
    return value


def met(store: SqlSigners, username: str, certificate: asn1_x509.Certificate, *, now: datetime,
        source_ip: str = "") -> PersonCertificate:
    """The binding of the card a person signs with: found, or kept now as his, pending approval."""
    found = store.person_certificate(fingerprint(certificate))
    if found is not None:
        return found
    value = PersonCertificate(fingerprint=fingerprint(certificate), username=username, certificate=certificate.dump(),
                              subject=certificate.subject.human_friendly[:500], state="pending", registered_at=now,
                              registered_by=f"user:{username}")
    if not store.add_person_certificate(value, NewAuditEvent(
            actor=f"user:{username}", action="person-certificate.met", source_ip=source_ip,
            detail={"username": username, "fingerprint": value.fingerprint, "subject": value.subject})):
        return store.person_certificate(value.fingerprint) or value  # met by another request meanwhile
    return value


def decide(store: SqlSigners, actor: Actor, certificate_fingerprint: str, *, approve: bool, now: datetime,
           source_ip: str = "") -> PersonCertificate:
    """An administrator approves a pending binding, or removes one."""
    require(actor, Action.MANAGE_ACCESS, "只有系統管理者可以核准或移除人員的憑證")
    found = store.person_certificate(certificate_fingerprint)
    if found is None:
        raise NotFound("找不到此憑證", details={"field": "certificate"})
    state = "approved" if approve else "removed"
    store.decide_person_certificate(found.fingerprint, state=state, by=actor.id, at=now, event=NewAuditEvent(
        actor=actor.id, agency=actor.agency, action=f"person-certificate.{'approve' if approve else 'remove'}",
        source_ip=source_ip, detail={"username": found.username, "fingerprint": found.fingerprint}))
    return store.person_certificate(found.fingerprint) or found


def refusal(binding: PersonCertificate, username: str) -> str:
    """Why a card may not sign for ``username`` (a sentence), or "" when it may."""
    if binding.username != username:
        return "這張憑證卡不是您的：請以登錄於您帳號的自然人憑證簽章"
    if binding.state == "pending":
        return "您的憑證卡尚待系統管理者核准，核准後即可簽章"
    if binding.state != "approved":
        return "您的憑證卡已被移除，請洽系統管理者"
    return ""
