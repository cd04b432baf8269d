"""The embedded SeaweedFS's internal security: gRPC mutual TLS between its parts, JWT for volumes.

Without it, anyone on the host reaches the master's, filer's and volume's gRPC ports and ``weed
shell`` deletes versions that S3 refuses to delete under Object Lock.  Each data directory gets
its own private CA, one certificate for the store's parts (server and client), JWT signing keys,
and a ``security.toml`` naming them — all readable by the service's user only.  ``weed`` reads
``security.toml`` from its working directory, which is the data directory.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

COMMON_NAME = "forms-seaweedfs"  # the only client name the store's parts accept
VALID_DAYS = 3650
RENEW_WITHIN = timedelta(days=30)
# Every part of `weed mini` that serves gRPC.
COMPONENTS = ("master", "volume", "filer", "s3", "admin", "worker", "mq", "msg_broker", "msg_agent")


def ensure_security(directory: Path) -> Path:
    """Write the CA, the certificate and ``security.toml`` into ``directory`` unless current ones
    are there; returns the ``security.toml`` path."""
    tls = directory / "tls"
    config = directory / "security.toml"
    if config.exists() and not _expiring(tls / "node.pem"):
        return config
    tls.mkdir(mode=0o700, parents=True, exist_ok=True)
    ca_key, ca_cert = _certificate_authority()
    node_key, node_cert = _node(ca_key, ca_cert)
    _write(tls / "ca.pem", ca_cert.public_bytes(serialization.Encoding.PEM))
    _write(tls / "node.pem", node_cert.public_bytes(serialization.Encoding.PEM))
    _write(tls / "node.key", node_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    sections = [f'[{name}]\nkey = "{secrets.token_urlsafe(32)}"\nexpires_after_seconds = 10\n'
                for name in ("jwt.signing", "jwt.signing.read", "jwt.filer_signing", "jwt.filer_signing.read")]
    sections.append(f'[grpc]\nca = "{tls / "ca.pem"}"\n')
    sections += [f'[grpc.{part}]\ncert = "{tls / "node.pem"}"\nkey = "{tls / "node.key"}"\n'
                 f'allowed_commonNames = "{COMMON_NAME}"\n' for part in COMPONENTS]
    sections.append(f'[grpc.client]\ncert = "{tls / "node.pem"}"\nkey = "{tls / "node.key"}"\n')
    _write(config, "\n".join(sections).encode())
    return config


def _certificate_authority() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Forms Service embedded store CA")])
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=VALID_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


def _node(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
          ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.now(timezone.utc) - timedelta(minutes=5)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, COMMON_NAME)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _expiring(path: Path) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return True
    return cert.not_valid_after_utc - datetime.now(timezone.utc) < RENEW_WITHIN


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
