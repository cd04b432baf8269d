"""A SoftHSM2 token for tests, with a key generated *on the token* and a certificate for it
issued by the demo PKI's issuing CA — the same shape as an agency's GCA smart card.

The token is one of the test session's pool (``signing/softhsm.py``): a process sees only the
tokens of its one SoftHSM2 configuration, made before it loaded the module."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from signing.softhsm import MODULE, SoftHsmPool


@dataclass(frozen=True)
class Token:
    module: str
    label: str
    key_label: str
    pin: str
    conf: Path


def make_token(directory: Path, *, demo_pki_dir: Path, crl_url: str, pool: SoftHsmPool,
               owner: str = "forms-test") -> Token:
    directory.mkdir(parents=True, exist_ok=True)
    token = pool.claim(owner)
    env = {**os.environ, "SOFTHSM2_CONF": str(pool.conf)}
    run = lambda *args: subprocess.run(args, check=True, capture_output=True, env=env)  # noqa: E731
    tool = ["pkcs11-tool", "--module", MODULE, "--token-label", token.label, "--login", "--pin", token.pin]
    run(*tool, "--keypairgen", "--key-type", "rsa:2048", "--label", "agency", "--id", "01")
    run(*tool, "--read-object", "--type", "pubkey", "--label", "agency", "-o", str(directory / "pub.der"))
    public_key = serialization.load_der_public_key((directory / "pub.der").read_bytes())

    ca_key = serialization.load_pem_private_key((demo_pki_dir / "keys" / "interm.key.pem").read_bytes(), None)
    ca_cert = x509.load_der_x509_certificate((demo_pki_dir / "interm.der").read_bytes())
    now = datetime.now(timezone.utc) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Forms Service DEMO"),
            x509.NameAttribute(NameOID.COMMON_NAME, "DEMO 簽章 (SoftHSM token)"),
        ]))
        .issuer_name(ca_cert.subject).public_key(public_key).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=365))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(crl_url)], None, None, None)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    run(*tool, "--write-object", str(directory / "cert.der"), "--type", "cert", "--label", "agency", "--id", "01")
    # Cards carry their issuing CA's certificate too; the signer pulls it from the token.
    run(*tool, "--write-object", str(demo_pki_dir / "interm.der"), "--type", "cert", "--label", "issuing-ca", "--id",
        "02")
    return Token(MODULE, token.label, "agency", token.pin, pool.conf)
