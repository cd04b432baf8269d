"""DEMO cards: Taiwan's signing cards, as the demo stands them in.

Under the demo root, a DEMO GCA-like CA (政府憑證管理中心) issues each agency its 機關憑證 — the
agency's name and 機關代碼 in the subject — and a DEMO MOICA-like CA (內政部憑證管理中心) issues each
demo person a 自然人憑證.  Each certificate lives on a card of its own: a SoftHSM2 token from the pool
(``softhsm.py``), its key generated on the token, behind the token's PIN — so signing with it is a
PKCS#11 login and signature, as with a GCA card on a server or a citizen's card in a reader.  Cards
are issued on first use.  A revoked card is on its CA's CRL, which the demo PKI serves.

Every name says DEMO; the cards chain to the demo root, trusted only in demo mode.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from .errors import SignerUnavailable
from .providers import PKCS11_LOCK
from .softhsm import SoftHsmPool

KEY_ID = b"\x01"
KEY_LABEL = "card"
CA_NAMES = {"gca": "DEMO GCA 政府憑證管理中心", "moica": "DEMO MOICA 內政部憑證管理中心"}
KIND_CA = {"agency": "gca", "person": "moica"}
PROVIDER_HOLDER = "provider"  # the data provider's card: its name, and no agency's 機關代碼


@dataclass(frozen=True)
class Card:
    """One card: who holds it, on which token, its certificate (DER)."""

    kind: str  # "agency" (機關憑證) or "person" (自然人憑證)
    holder: str  # the agency's 機關代碼, or the person's user name
    name: str  # the agency's or the person's name, as its certificate says
    token_label: str
    module: str
    certificate: bytes
    revoked: bool = False

    @property
    def key_label(self) -> str:
        return KEY_LABEL

    @property
    def subject(self) -> str:
        return x509.load_der_x509_certificate(self.certificate).subject.rfc4514_string()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "holder": self.holder, "name": self.name, "token_label": self.token_label,
                "module": self.module, "key_label": self.key_label, "subject": self.subject,
                "certificate": base64.b64encode(self.certificate).decode(), "revoked": self.revoked}


class DemoCards:
    """The demo's cards, issued by the DEMO GCA and MOICA of the demo PKI in ``pki_directory``."""

    def __init__(self, pki_directory: Path, pool: SoftHsmPool):
        self.directory = Path(pki_directory)
        self.pool = pool
        self._file = self.directory / "cards.json"

    # --- the CAs -------------------------------------------------------------------------------

    def ensure_cas(self, base_url: str) -> None:
        """The DEMO GCA and MOICA (keys and certificates under the demo root), made once; their
        certificates name ``base_url``'s CRL of the root, so they are made again when it moves."""
        root_key = _rsa_key(self.directory / "keys" / "root.key.pem")
        root = x509.load_pem_x509_certificate((self.directory / "demo-root.pem").read_bytes())
        for ca, name in CA_NAMES.items():
            key_file, cert_file = self.directory / "keys" / f"{ca}.key.pem", self.directory / f"{ca}.der"
            if not key_file.exists():
                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                _write_private(key_file, key.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
            crl = f"{base_url}/demo/crls/root/latest.crl"
            if cert_file.exists() and _crl_url(x509.load_der_x509_certificate(cert_file.read_bytes())) == crl:
                continue
            ca_key = _rsa_key(key_file)
            now = datetime.now(timezone.utc) - timedelta(days=1)
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Forms Service DEMO"),
                                             x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                    .issuer_name(root.subject).public_key(ca_key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
                    .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                    .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                   critical=True)
                    .add_extension(_crl_points(crl), critical=False)
                    .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
                    .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
                                   critical=False)
                    .sign(root_key, hashes.SHA256()))
            cert_file.write_bytes(cert.public_bytes(serialization.Encoding.DER))

    def ca_certificate(self, ca: str) -> bytes:
        return (self.directory / f"{ca}.der").read_bytes()

    def crl(self, ca: str) -> bytes:
        """The CA's CRL, signed now, listing its revoked cards (the demo PKI serves it)."""
        key = _rsa_key(self.directory / "keys" / f"{ca}.key.pem")
        issuer = x509.load_der_x509_certificate(self.ca_certificate(ca))
        now = datetime.now(timezone.utc) - timedelta(minutes=1)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
                   .last_update(now).next_update(now + timedelta(days=1))
                   .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                                  critical=False)
                   .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False))
        with self._cards() as cards:
            for card in cards:
                if card["revoked"] and KIND_CA[card["kind"]] == ca:
                    certificate = x509.load_der_x509_certificate(base64.b64decode(card["certificate"]))
                    builder = builder.add_revoked_certificate(
                        x509.RevokedCertificateBuilder().serial_number(certificate.serial_number)
                        .revocation_date(datetime.fromisoformat(card["revoked_at"])).build())
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    # --- cards ---------------------------------------------------------------------------------

    def agency_card(self, code: str, name: str, *, base_url: str) -> Card:
        """The agency's 機關憑證 card, issued now on its first use."""
        return self._card("agency", code, name, base_url)

    def provider_card(self, name: str, *, base_url: str) -> Card:
        """The data provider's 機關憑證 card (holder ``provider``), issued now on its first use."""
        return self._card("agency", PROVIDER_HOLDER, name, base_url)

    def person_card(self, username: str, name: str, *, base_url: str) -> Card:
        """The person's 自然人憑證 card, issued now on its first use."""
        return self._card("person", username, name, base_url)

    def cards(self) -> list[Card]:
        with self._cards() as cards:
            return [self._value(c) for c in cards]

    def find(self, kind: str, holder: str) -> Card | None:
        return next((c for c in self.cards() if c.kind == kind and c.holder == holder), None)

    def pin(self, card: Card) -> str:
        """The card's PIN (the demo prints it: a person types it into the card's PIN prompt)."""
        return next(t.pin for t in self.pool.tokens() if t.label == card.token_label)

    def revoke(self, kind: str, holder: str, *, at: datetime | None = None) -> Card:
        """The card is on its CA's CRL from ``at`` (now) on."""
        with self._cards() as cards:
            for card in cards:
                if card["kind"] == kind and card["holder"] == holder:
                    card["revoked"] = True
                    card["revoked_at"] = (at or datetime.now(timezone.utc)).isoformat()
                    return self._value(card)
        raise SignerUnavailable(f"no demo card of {holder}")

    def refresh(self, base_url: str) -> None:
        """Certificates naming another CRL address (the demo PKI moved to another port) made again
        for the same keys: a card whose CRL cannot be fetched cannot sign."""
        self.ensure_cas(base_url)
        with self._cards() as cards:
            for card in cards:
                if _crl_url(x509.load_der_x509_certificate(base64.b64decode(card["certificate"]))) != \
                        self._crl_address(base_url, KIND_CA[card["kind"]]):
                    card["certificate"] = base64.b64encode(self._issue(card, base_url)).decode()

    def _card(self, kind: str, holder: str, name: str, base_url: str) -> Card:
        with self._cards() as cards:
            for card in cards:
                if card["kind"] == kind and card["holder"] == holder:
                    return self._value(card)
            self.ensure_cas(base_url)
            token = self.pool.claim(f"{self.directory.resolve()}:{kind}:{holder}")
            card = {"kind": kind, "holder": holder, "name": name, "token_label": token.label, "revoked": False,
                    "issued_at": datetime.now(timezone.utc).isoformat()}
            card["certificate"] = base64.b64encode(self._issue(card, base_url)).decode()
            cards.append(card)
            return self._value(card)

    def _issue(self, card: dict[str, Any], base_url: str) -> bytes:
        """A certificate for the card's key — generated on its token the first time — written onto
        the token beside the key, with its CA's certificate (cards carry their issuer's)."""
        ca = KIND_CA[card["kind"]]
        with PKCS11_LOCK:  # one caller of the module at a time (providers.PKCS11_LOCK)
            return self._write_card(card, ca, base_url)

    def _write_card(self, card: dict[str, Any], ca: str, base_url: str) -> bytes:
        import pkcs11
        from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

        token_pin = next(t.pin for t in self.pool.tokens() if t.label == card["token_label"])
        try:
            token = pkcs11.lib(self.pool.module).get_token(token_label=card["token_label"])
        except pkcs11.exceptions.NoSuchToken as err:
            raise SignerUnavailable(f"the demo card {card['token_label']} is not in this process's SoftHSM2 "
                                    "directory (SOFTHSM2_CONF): start the service again") from err
        with token.open(user_pin=token_pin, rw=True) as session:
            public = next(iter(session.get_objects({Attribute.CLASS: ObjectClass.PUBLIC_KEY, Attribute.ID: KEY_ID})),
                          None)
            if public is None:
                public, _ = session.generate_keypair(KeyType.RSA, 2048, store=True, label=KEY_LABEL, id=KEY_ID)
            numbers = rsa.RSAPublicNumbers(int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                                           int.from_bytes(public[Attribute.MODULUS], "big"))
            der = self._certificate(card, ca, numbers.public_key(), base_url)
            for old in session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}):
                old.destroy()
            for label, value, id_ in ((KEY_LABEL, der, KEY_ID), ("ca", self.ca_certificate(ca), b"\x02")):
                session.create_object({
                    Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: id_, Attribute.VALUE: value,
                    Attribute.SUBJECT: x509.load_der_x509_certificate(value).subject.public_bytes(),
                })
        return der

    def _certificate(self, card: dict[str, Any], ca: str, public_key: rsa.RSAPublicKey, base_url: str) -> bytes:
        key = _rsa_key(self.directory / "keys" / f"{ca}.key.pem")
        issuer = x509.load_der_x509_certificate(self.ca_certificate(ca))
        if card["kind"] == "agency":
            # As a 機關憑證: the agency's name, and its 機關代碼 where a GCA certificate can carry it.
            subject = [x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                       x509.NameAttribute(NameOID.ORGANIZATION_NAME, card["name"]),
                       *([] if card["holder"] == PROVIDER_HOLDER else
                         [x509.NameAttribute(NameOID.SERIAL_NUMBER, card["holder"])]),
                       x509.NameAttribute(NameOID.COMMON_NAME, card["name"])]
        else:
            subject = [x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                       x509.NameAttribute(NameOID.SERIAL_NUMBER, f"DEMO-{card['holder']}"),
                       x509.NameAttribute(NameOID.COMMON_NAME, card["name"])]
        now = datetime.now(timezone.utc) - timedelta(days=1)
        cert = (x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(issuer.subject)
                .public_key(public_key).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + timedelta(days=3 * 365))
                .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                               critical=True)
                .add_extension(_crl_points(self._crl_address(base_url, ca)), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        return cert.public_bytes(serialization.Encoding.DER)

    @staticmethod
    def _crl_address(base_url: str, ca: str) -> str:
        return f"{base_url}/demo-cards/{ca}.crl"

    def _value(self, card: dict[str, Any]) -> Card:
        return Card(kind=card["kind"], holder=card["holder"], name=card["name"], token_label=card["token_label"],
                    module=self.pool.module, certificate=base64.b64decode(card["certificate"]),
                    revoked=bool(card.get("revoked")))

    @contextmanager
    def _cards(self) -> Iterator[list[dict[str, Any]]]:
        with open(self.directory / ".cards.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            cards: list[dict[str, Any]] = json.loads(self._file.read_text()) if self._file.exists() else []
            before = json.dumps(cards)
            yield cards
            if json.dumps(cards) != before:
                part = self._file.with_suffix(".part")
                part.write_text(json.dumps(cards, ensure_ascii=False, indent=1))
                part.replace(self._file)


def _crl_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None,
                                                              None)])


def _crl_url(cert: x509.Certificate) -> str:
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return ""
    for point in points:
        for name in point.full_name or ():
            return str(name.value)
    return ""


def _rsa_key(path: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    assert isinstance(key, rsa.RSAPrivateKey)  # the demo PKI's keys are RSA
    return key


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
