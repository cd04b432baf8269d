"""Signer providers: they open a key (file or token) once and hand out a pyHanko ``Signer``.

``Pkcs12Provider`` loads a PKCS#12 file and caches the parsed private key: stock ``SimpleSigner``
re-parses the key for every signature (≈55 ms for an RSA key here), which dominated B-B signing.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from asn1crypto import keys as asn1_keys
from asn1crypto import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers import SimpleSigner
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .errors import SignerUnavailable

# PKCS#11 modules are initialised by python-pkcs11 without locking callbacks (C_Initialize(NULL)):
# the application promises not to call the module from two threads at once, and SoftHSM2 then
# crashes the process when it does (a batch signing with two agencies' demo cards).  Every call
# into a module — opening a session, signing, writing a demo card — holds this lock; a signature's
# share of it is a millisecond.
PKCS11_LOCK = threading.RLock()


@runtime_checkable
class SignerProvider(Protocol):
    """Opens the signing key once; ``signer()`` returns a ready pyHanko ``Signer``.

    Contract (``tests/contract/test_signer_provider.py``): ``signer()`` is cheap after the first
    call and safe to call from several threads; a missing key, wrong password/PIN or absent token
    raises ``SignerUnavailable`` with a sentence (never the secret); ``close()`` releases sessions.
    """

    def signer(self) -> Signer: ...

    def close(self) -> None: ...


class CachedKeySigner(SimpleSigner):
    """``SimpleSigner`` that parses its private key once instead of once per signature."""

    def __init__(self, *, signing_cert: x509.Certificate, signing_key: asn1_keys.PrivateKeyInfo,
                 cert_registry: SimpleCertificateStore, key_object: PrivateKeyTypes):
        super().__init__(signing_cert=signing_cert, signing_key=signing_key, cert_registry=cert_registry)
        self._key_object = key_object

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            return super().sign_raw(data, digest_algorithm)
        hash_algo = get_pyca_cryptography_hash(digest_algorithm)
        key = self._key_object
        if isinstance(key, RSAPrivateKey) and mechanism == "rsassa_pkcs1v15":
            return key.sign(data, PKCS1v15(), hash_algo)
        if isinstance(key, EllipticCurvePrivateKey) and mechanism == "ecdsa":
            return key.sign(data, ECDSA(hash_algo))
        return super().sign_raw(data, digest_algorithm)  # PSS and others: stock path


class Pkcs12Provider:
    """A software key from a PKCS#12 (.p12/.pfx) file with its certificate chain."""

    def __init__(self, path: Path | str, *, password: bytes | None):
        self.path = Path(path)
        self._password = password
        self._signer: Signer | None = None
        self._lock = threading.Lock()

    def signer(self) -> Signer:
        with self._lock:
            if self._signer is None:
                self._signer = self._load()
            return self._signer

    def close(self) -> None:
        self._signer = None

    def _load(self) -> Signer:
        try:
            data = self.path.read_bytes()
        except OSError as err:
            raise SignerUnavailable(f"cannot read the signing key file {self.path}: {err.strerror}") from err
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, self._password)
        except ValueError as err:
            raise SignerUnavailable(
                f"cannot open {self.path.name}: wrong password or not a PKCS#12 file"
            ) from err
        if key is None or cert is None:
            raise SignerUnavailable(f"{self.path.name} holds no private key with a certificate")
        der_key = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        chain = [x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in (extra or [])]
        return CachedKeySigner(
            signing_cert=x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            cert_registry=SimpleCertificateStore.from_certs(chain),
            key_object=key,
        )


class Pkcs11Provider:
    """A key on a PKCS#11 token (a GCA smart card, an HSM, SoftHSM2 in tests).

    The session is opened at the first ``signer()`` and kept; the PIN is read from the
    environment variable or file named in the settings, used once, and never logged.
    """

    def __init__(self, *, module: str, token_label: str, key_label: str, cert_label: str | None = None,
                 pin: str | None, chain: list | None = None):
        self.module = module
        self.token_label = token_label
        self.key_label = key_label
        self.cert_label = cert_label or key_label
        self._pin = pin
        self._chain = list(chain or [])
        self._session: Any = None  # a python-pkcs11 Session while open
        self._signer: Signer | None = None
        self._lock = threading.Lock()

    def signer(self) -> Signer:
        with self._lock:
            if self._signer is None:
                self._signer = self._open()
            return self._signer

    def close(self) -> None:
        with self._lock, PKCS11_LOCK:
            session, self._session, self._signer = self._session, None, None
            if session is not None:
                try:
                    session.close()
                except Exception:  # the token may already be gone
                    pass

    def _open(self) -> Signer:
        if not Path(self.module).is_file():
            raise SignerUnavailable(f"the PKCS#11 module {self.module} does not exist")
        with PKCS11_LOCK:
            return self._open_locked()

    def _open_locked(self) -> Signer:
        import pkcs11
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign.pkcs11 import open_pkcs11_session

        try:
            try:
                session = open_pkcs11_session(
                    self.module, token_criteria=TokenCriteria(label=self.token_label), user_pin=self._pin,
                )
            except pkcs11.exceptions.UserAlreadyLoggedIn:
                # PKCS#11 logs a process in per token, not per session: another provider of this
                # process holds a session on the same token, and a new session shares its login.
                session = open_pkcs11_session(self.module, token_criteria=TokenCriteria(label=self.token_label),
                                              user_pin=None)
        except pkcs11.exceptions.PinIncorrect as err:
            raise SignerUnavailable(f"the token {self.token_label!r} refused the PIN") from err
        except pkcs11.exceptions.PinLocked as err:
            raise SignerUnavailable(f"the token {self.token_label!r} is locked (too many wrong PINs)") from err
        except Exception as err:  # the module and pyHanko raise several types for an absent token
            raise SignerUnavailable(
                f"no usable token labelled {self.token_label!r} in {self.module} (is the card inserted?): {err}"
            ) from err
        try:
            signer = _LockedPkcs11Signer(session, cert_label=self.cert_label, key_label=self.key_label,
                                         other_certs_to_pull=None, ca_chain=self._chain)
            signer.signing_cert  # noqa: B018 — loads the certificate now, so a wrong label fails here
        except Exception as err:
            session.close()
            raise SignerUnavailable(
                f"the token {self.token_label!r} has no key/certificate labelled {self.key_label!r}: {err}"
            ) from err
        self._session = session
        return signer


def _locked_pkcs11_signer() -> type:
    from pyhanko.sign.pkcs11 import PKCS11Signer

    class LockedPkcs11Signer(PKCS11Signer):
        """pyHanko's PKCS#11 signer, its signatures made one at a time in the process (``PKCS11_LOCK``):
        the whole call, in a thread of its own, so that two signatures of one event loop never
        reach the module together."""

        async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
            sign = PKCS11Signer.async_sign_raw
            if dry_run:
                return await sign(self, data, digest_algorithm, dry_run)

            def sign_alone() -> bytes:
                with PKCS11_LOCK:
                    return asyncio.run(sign(self, data, digest_algorithm))

            return await asyncio.get_running_loop().run_in_executor(None, sign_alone)

    return LockedPkcs11Signer


def _LockedPkcs11Signer(*args: Any, **kwargs: Any) -> Signer:
    signer: Signer = _locked_pkcs11_signer()(*args, **kwargs)
    return signer
