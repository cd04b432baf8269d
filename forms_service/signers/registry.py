"""The keys the service signs with for each party — registered, checked, found, retired.

A document of agency A is signed with A's key (or by A's people with their own cards): never with
another agency's, nor a key of nobody in particular.  Registering a key opens it (the PIN or
password read from where ``secret_source`` says), takes its certificate, and checks it: an agency's
certificate names the agency — its 機關代碼 where the certificate carries one (GCA certificates of
agencies carry it as the subject's serial number), and its name — and chains to a trusted root.  A
key is retired, never deleted: the documents it signed keep naming it.

In demo mode an agency's first document gets it a DEMO 機關憑證 card (``signing.demo_cards``),
registered here as any key would be; elsewhere an agency without a key gets a sentence saying how to
register one.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509

from signing import Pkcs11Provider, Pkcs12Provider, SignerProvider, SignerUnavailable
from signing.validation import chain_problem

from ..access import Actor
from ..access.policy import Action, require
from ..catalog import NewAuditEvent
from ..clock import Clock
from ..errors import InputError, NotFound, SigningFailed
from ..taiwan import normalize_agency_code
from .store import SqlSigners
from .values import PARTIES, SignerKey

# (code, name) → where the agency's new demo key is: {kind, module, token_label, key_label, path, secret_source}
DemoIssuer = Callable[[str, str], dict[str, str]]


class SignerRegistry:
    def __init__(self, store: SqlSigners, *, trust_roots: list, clock: Clock,
                 demo_secrets: Callable[[str], str] | None = None, demo_issuer: DemoIssuer | None = None):
        self.store = store
        self.trust_roots = trust_roots
        self.clock = clock
        self._demo_secrets = demo_secrets  # a demo card's PIN by its token label
        self._demo_issuer = demo_issuer  # demo mode: issues an agency its card on first use
        self._providers: dict[str, SignerProvider] = {}
        self._lock = threading.Lock()

    # --- registering ---------------------------------------------------------------------------

    def register(self, actor: Actor, *, party: str, agency: str = "", agency_name: str = "", kind: str,
                 module: str = "", token_label: str = "", key_label: str = "", path: str = "",
                 secret_source: str = "", label: str = "", source_ip: str = "") -> SignerKey:
        """Open the key, check its certificate (``InputError`` naming the field otherwise) and keep it."""
        require(actor, Action.MANAGE_ACCESS, "只有系統管理者可以登錄簽章金鑰")
        if party not in PARTIES:
            raise InputError(f"金鑰的所屬對象須為 {'、'.join(PARTIES)} 之一", details={"field": "party"})
        agency = normalize_agency_code(agency.strip()) if party == "agency" else ""
        if party == "agency" and not agency:
            raise InputError("請填寫機關代碼：機關的金鑰屬於一個機關", details={"field": "agency"})
        key = SignerKey(
            id="key_" + uuid.uuid4().hex[:20], party=party, agency=agency, label=label.strip()[:200], kind=kind,
            module=module.strip(), token_label=token_label.strip(), key_label=key_label.strip(), path=path.strip(),
            secret_source=secret_source.strip(), certificate=b"", fingerprint="", subject="",
            not_after=self.clock.now(), state="active", registered_at=self.clock.now(), registered_by=actor.id)
        provider = self._open(key)
        try:
            certificate = provider.signer().signing_cert
            chain = list(getattr(provider.signer(), "cert_registry", ()) or ())
        except SignerUnavailable as err:
            raise InputError(f"無法開啟此金鑰：{err}", details={"field": "key"}) from None
        finally:
            provider.close()
        if certificate is None:
            raise InputError("此金鑰沒有對應的憑證", details={"field": "key"})
        problem = self.certificate_problem(certificate, party=party, agency=agency, agency_name=agency_name,
                                           intermediates=chain)
        if problem:
            raise InputError(problem, details={"field": "key"})
        key = _with_certificate(key, certificate)
        self.store.add_key(key, NewAuditEvent(
            actor=actor.id, agency=actor.agency, action="signer.register", source_ip=source_ip,
            detail={"key": key.id, "party": party, "agency": agency, "subject": key.subject,
                    "fingerprint": key.fingerprint, "kind": kind}))
        return key

    def certificate_problem(self, certificate: asn1_x509.Certificate, *, party: str, agency: str = "",
                            agency_name: str = "", intermediates: list | None = None) -> str:
        """Why ``certificate`` cannot sign for this party (a sentence), or ""."""
        if party == "agency":
            subject = certificate.subject.native
            code = str(subject.get("serial_number", "") or "").strip()
            if code and normalize_agency_code(code) != agency:
                return f"憑證載明的機關代碼是 {code}，不是 {agency}：此憑證不屬於該機關"
            names = {str(subject.get(k, "") or "") for k in ("common_name", "organization_name",
                                                              "organizational_unit_name")}
            if not code and not agency_name:
                return "憑證未載明機關代碼：請一併填寫機關名稱，以核對憑證所載之機關"
            if agency_name and not any(agency_name.strip() in n for n in names if n):
                return f"憑證所載名稱（{'、'.join(sorted(n for n in names if n))}）不是「{agency_name}」"
        elif party == "provider" and agency_name:
            subject = certificate.subject.native
            names = {str(subject.get(k, "") or "") for k in ("common_name", "organization_name",
                                                              "organizational_unit_name")}
            if not any(agency_name.strip() in n for n in names if n):
                return f"此憑證不是{agency_name}的機關憑證（憑證所載名稱：{'、'.join(sorted(n for n in names if n))}）"
        problem = chain_problem(certificate, self.trust_roots, intermediates=intermediates or (),
                                moment=self.clock.now())
        return {"its certificate does not chain to a trusted root": "憑證無法連結至受信任的根憑證（FORMS_TRUST_ROOTS）"
                }.get(problem, f"憑證無效：{problem}" if problem else "")

    def retire(self, actor: Actor, key_id: str, *, source_ip: str = "") -> SignerKey:
        require(actor, Action.MANAGE_ACCESS, "只有系統管理者可以停用簽章金鑰")
        key = self.store.key(key_id)
        if key is None:
            raise NotFound(f"找不到金鑰 {key_id}", details={"field": "key"})
        if not self.store.retire_key(key_id, by=actor.id, at=self.clock.now(), event=NewAuditEvent(
                actor=actor.id, agency=actor.agency, action="signer.retire", source_ip=source_ip,
                detail={"key": key_id, "party": key.party, "agency": key.agency, "fingerprint": key.fingerprint})):
            raise InputError("此金鑰已停用", details={"field": "key"})
        with self._lock:
            provider = self._providers.pop(key_id, None)
        if provider is not None:
            provider.close()
        return self.store.key(key_id) or key

    # --- finding ---------------------------------------------------------------------------------

    def agency_key(self, code: str, name: str) -> tuple[SignerKey, SignerProvider] | None:
        """The agency's newest active key, opened; in demo mode issued now on its first document."""
        found = self.store.keys(party="agency", agency=code, active_only=True)
        if not found and self._demo_issuer is not None and code:
            found = [self._register_demo(code, name)]
        if not found:
            return None
        return found[0], self.provider(found[0])

    def party_key(self, party: str) -> tuple[SignerKey, SignerProvider] | None:
        """The provider's or the service's newest active key registered here, opened."""
        found = self.store.keys(party=party, active_only=True)
        return (found[0], self.provider(found[0])) if found else None

    def provider(self, key: SignerKey) -> SignerProvider:
        """The key opened once per process (its session or parsed key kept)."""
        with self._lock:
            provider = self._providers.get(key.id)
            if provider is None:
                provider = self._providers[key.id] = self._open(key)
            return provider

    def close(self) -> None:
        with self._lock:
            providers, self._providers = list(self._providers.values()), {}
        for provider in providers:
            provider.close()

    def _register_demo(self, code: str, name: str) -> SignerKey:
        assert self._demo_issuer is not None
        where = self._demo_issuer(code, name)
        key = SignerKey(id="key_" + uuid.uuid4().hex[:20], party="agency", agency=code,
                        label="DEMO 機關憑證（示範卡片）", kind=where.get("kind", "pkcs11"),
                        module=where.get("module", ""), token_label=where.get("token_label", ""),
                        key_label=where.get("key_label", ""), path=where.get("path", ""),
                        secret_source=where.get("secret_source", ""), certificate=b"", fingerprint="", subject="",
                        not_after=self.clock.now(), state="active", registered_at=self.clock.now(),
                        registered_by="service:demo")
        provider = self._open(key)
        try:
            certificate = provider.signer().signing_cert
        except SignerUnavailable as err:
            raise SigningFailed(f"the agency's demo card cannot be opened: {err}") from err
        finally:
            provider.close()
        assert certificate is not None
        key = _with_certificate(key, certificate)
        self.store.add_key(key, NewAuditEvent(actor="service:demo", agency=code, action="signer.register",
                                              detail={"key": key.id, "party": "agency", "agency": code,
                                                      "subject": key.subject, "fingerprint": key.fingerprint,
                                                      "demo": True}))
        return key

    def _open(self, key: SignerKey) -> SignerProvider:
        secret = self._secret(key.secret_source)
        if key.kind == "pkcs11":
            if not key.module or not key.token_label or not key.key_label:
                raise InputError("PKCS#11 金鑰須填寫模組、權杖標籤與金鑰標籤", details={"field": "key"})
            return Pkcs11Provider(module=key.module, token_label=key.token_label, key_label=key.key_label, pin=secret)
        if key.kind == "pkcs12":
            if not key.path:
                raise InputError("PKCS#12 金鑰須填寫檔案路徑", details={"field": "key"})
            return Pkcs12Provider(key.path, password=secret.encode() if secret is not None else None)
        raise InputError("金鑰種類須為 pkcs11 或 pkcs12", details={"field": "kind"})

    def _secret(self, source: str) -> str | None:
        """The PIN or password, read where ``source`` says: never kept in the database."""
        if not source:
            return None
        kind, _, where = source.partition(":")
        if kind == "env":
            value = os.environ.get(where)
            if value is None:
                raise SigningFailed(f"the environment variable {where} holding the key's PIN is not set")
            return value
        if kind == "file":
            try:
                return Path(where).read_text().strip()
            except OSError as err:
                raise SigningFailed(f"the file {where} holding the key's PIN cannot be read: {err.strerror}") from err
        if kind == "demo" and self._demo_secrets is not None:
            return self._demo_secrets(where)
        raise InputError("PIN 或密碼的來源須寫成 env:變數名稱 或 file:檔案路徑", details={"field": "secret_source"})


def _with_certificate(key: SignerKey, certificate: asn1_x509.Certificate) -> SignerKey:
    import dataclasses

    der = certificate.dump()
    not_after: datetime = certificate["tbs_certificate"]["validity"]["not_after"].native
    return dataclasses.replace(key, certificate=der, fingerprint=hashlib.sha256(der).hexdigest(),
                               subject=certificate.subject.human_friendly[:500], not_after=not_after)
