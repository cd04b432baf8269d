"""A demo PKI for the embedded default: root → intermediate → agency signer, all named DEMO.

Created once under a directory (``pki/`` in the data directory) and reused.  Never trusted
outside demo mode: production configures real trust anchors (e.g. the GCA root) and a real key.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

SIGNER_FILE = "demo-signer.p12"
PASSWORD_FILE = "demo-signer.pass"
ROOT_FILE = "demo-root.pem"


@dataclass(frozen=True)
class DemoPki:
    directory: Path

    @property
    def signer_p12(self) -> Path:
        return self.directory / SIGNER_FILE

    @property
    def root_pem(self) -> Path:
        return self.directory / ROOT_FILE

    @property
    def password(self) -> bytes:
        return (self.directory / PASSWORD_FILE).read_bytes().strip()


def ensure_demo_pki(directory: Path, *, agency: str = "Forms Service DEMO Agency") -> DemoPki:
    """Create the demo PKI in ``directory`` unless it is already there; return its paths."""
    pki = DemoPki(Path(directory))
    if pki.signer_p12.exists() and pki.root_pem.exists() and (pki.directory / PASSWORD_FILE).exists():
        return pki
    pki.directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc) - timedelta(minutes=5)

    root_key = _key()
    root_name = _name("Forms Service DEMO Root CA (not trusted)")
    root = _cert(root_name, root_name, root_key.public_key(), root_key, now, years=20, ca=True, path_len=1)

    inter_key = _key()
    inter_name = _name("Forms Service DEMO Issuing CA")
    inter = _cert(inter_name, root_name, inter_key.public_key(), root_key, now, years=10, ca=True, path_len=0)

    signer_key = _key()
    signer_name = _name(f"DEMO 簽章 {agency}")
    signer = _cert(signer_name, inter_name, signer_key.public_key(), inter_key, now, years=3, ca=False)

    password = secrets.token_urlsafe(24).encode()
    p12 = pkcs12.serialize_key_and_certificates(
        name=b"demo-signer", key=signer_key, cert=signer, cas=[inter, root],
        encryption_algorithm=serialization.BestAvailableEncryption(password),
    )
    _write_private(pki.directory / PASSWORD_FILE, password)
    _write_private(pki.signer_p12, p12)
    pki.root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return pki


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Forms Service DEMO"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _cert(subject, issuer, public_key, issuer_key, now, *, years: int, ca: bool, path_len: int | None = None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
    else:
        usage = x509.KeyUsage(True, True, False, False, False, False, False, False, False)
    builder = builder.add_extension(usage, critical=True)
    if subject != issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
