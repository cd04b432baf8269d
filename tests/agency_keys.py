"""Software keys standing in for agencies' 機關憑證 in the fast tests: a PKCS#12 file per agency, its
EC key's certificate naming the agency (its name, and its 機關代碼 as the subject's serial number)
issued by the demo PKI's issuing CA — the shape of the DEMO cards the integration tests use on
SoftHSM2, without a token.  Made once per agency and test run."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = b"agency-test"
# The service opens an agency's key file for each signature: with the 20,000 rounds of key derivation
# that ``BestAvailableEncryption`` chooses, ~280 openings took 2 s of the unit tests; a test key
# needs no protection from guessing.
_QUICK = (serialization.PrivateFormat.PKCS12.encryption_builder().kdf_rounds(1000)
          .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC).hmac_hash(hashes.SHA256()).build(PASSWORD))
_made: dict[tuple[str, str], Path] = {}


def software_key_issuer(pki_directory: Path, out: Path):
    """An issuer as ``SignerRegistry`` takes it: (code, name) → the agency's PKCS#12 key."""
    ca_key = serialization.load_pem_private_key((pki_directory / "keys" / "interm.key.pem").read_bytes(), None)
    ca = x509.load_der_x509_certificate((pki_directory / "interm.der").read_bytes())
    (out / "secret").write_bytes(PASSWORD)

    def issue(code: str, name: str) -> dict[str, str]:
        path = _made.get((str(pki_directory), code))
        if path is None:
            key = ec.generate_private_key(ec.SECP256R1())
            now = datetime.now(timezone.utc) - timedelta(days=1)
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                                             x509.NameAttribute(NameOID.SERIAL_NUMBER, code),
                                             x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                    .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(now).not_valid_after(now + timedelta(days=365))
                    .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                                   critical=True)
                    .sign(ca_key, hashes.SHA256()))
            path = out / f"{code}.p12"
            path.write_bytes(pkcs12.serialize_key_and_certificates(code.encode(), key, cert, [ca], _QUICK))
            _made[(str(pki_directory), code)] = path
        return {"kind": "pkcs12", "path": str(path), "secret_source": f"file:{out / 'secret'}"}

    return issue


def software_person(pki_directory: Path, username: str, name: str):
    """A person's stand-in card in the fast tests: an RSA key and its 自然人憑證-shaped certificate
    (his name, ``DEMO-<username>`` as the subject's serial number) from the demo PKI's issuing CA.
    Returns (private key, certificate DER)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    found = _people.get((str(pki_directory), username))
    if found is not None:
        return found
    ca_key = serialization.load_pem_private_key((pki_directory / "keys" / "interm.key.pem").read_bytes(), None)
    ca = x509.load_der_x509_certificate((pki_directory / "interm.der").read_bytes())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(timezone.utc) - timedelta(days=1)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                                     x509.NameAttribute(NameOID.SERIAL_NUMBER, f"DEMO-{username}"),
                                     x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + timedelta(days=365))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    _people[(str(pki_directory), username)] = key, cert.public_bytes(serialization.Encoding.DER)
    return _people[(str(pki_directory), username)]


def card_signature(key, data: bytes) -> bytes:
    """What a card answers for ``data``: PKCS#1 v1.5 over its SHA-256 (RSA), or ECDSA."""
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


def agency_private_key(issued: dict[str, str]):
    """The private key of an agency's software key (its PKCS#12), to sign as its card would."""
    key, _, _ = pkcs12.load_key_and_certificates(Path(issued["path"]).read_bytes(), PASSWORD)
    return key


_people: dict[tuple[str, str], tuple] = {}


def agency_certificate(issued: dict[str, str]) -> bytes:
    """The DER certificate of an agency's software key (what its card would hand in)."""
    _, certificate, _ = pkcs12.load_key_and_certificates(Path(issued["path"]).read_bytes(), PASSWORD)
    return certificate.public_bytes(serialization.Encoding.DER)
