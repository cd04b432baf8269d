"""The demo PKI: root → issuing CA → agency signer, with a TSA, an OCSP responder and CRLs.

Used by the embedded default and by the tests.  Built with certomancer (by pyHanko's author) from a
configuration and keys kept in a directory, and served over HTTP on loopback by certomancer's
Animator, so signing in demo mode takes the same path as production: RFC 3161 timestamps from a
TSA URL, OCSP and CRL fetched over HTTP, embedded for long-term validation (B-LTA).

Every name says DEMO; the root is trusted only in demo mode.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from asn1crypto import keys, pem, x509
from certomancer import crypto_utils
from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .demo_cards import CA_NAMES, DemoCards
from .softhsm import SoftHsmPool

ARCH = "demo"


class _KeyCachingBackend(crypto_utils.PycaCryptographyBackend):
    """certomancer's signing backend, keeping each parsed RSA key: it parsed (and checked) the key
    again for every timestamp, OCSP response and CRL, ~40 ms of the ~55 ms a timestamp took.

    The demo PKI's keys are the ones ``ensure_demo_pki`` generated into its private directory, so
    loading them skips OpenSSL's RSA consistency check (~40 ms a key, six keys at every start)."""

    def __init__(self) -> None:
        self._keys: dict[bytes, rsa.RSAPrivateKey] = {}

    def load_private_key(self, key_bytes: bytes, password: bytes | None) -> tuple[Any, Any]:
        load = serialization.load_pem_private_key if pem.detect(key_bytes) else serialization.load_der_private_key
        key = load(key_bytes, password=password, unsafe_skip_rsa_key_validation=True)
        if not isinstance(key, rsa.RSAPrivateKey):
            return super().load_private_key(key_bytes, password)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        self._keys[der] = key
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        return keys.PrivateKeyInfo.load(der), keys.PublicKeyInfo.load(public)

    def generic_sign(self, private_key: Any, tbs_bytes: bytes, sd_algo: Any) -> bytes:
        if sd_algo.signature_algo != "rsassa_pkcs1v15":
            return super().generic_sign(private_key, tbs_bytes, sd_algo)
        der = private_key.dump()
        key = self._keys.get(der)
        if key is None:
            loaded = serialization.load_der_private_key(der, password=None, unsafe_skip_rsa_key_validation=True)
            assert isinstance(loaded, rsa.RSAPrivateKey)  # the demo PKI's keys are RSA
            key = self._keys[der] = loaded
        return key.sign(tbs_bytes, padding.PKCS1v15(), getattr(hashes, sd_algo.hash_algo.upper())())


def _keep_certificates_encoded(arch: Any) -> None:
    """Hold the PKI's certificates as parsed from their DER, as a TSA or responder that loaded them
    from files would.  certomancer keeps the objects it built them as, and asn1crypto encodes such an
    object again, node by node, whenever it is written: every timestamp token embedded the TSA's
    certificate and named its subject that way (~1,600 encodings, ~5 ms of a timestamp's ~9 ms).
    The same certificates, byte for byte."""
    cache = getattr(arch, "_cert_cache", None)
    specs = getattr(arch, "_cert_specs", None)
    if cache is None or specs is None:  # another certomancer: it answers as it is
        return
    for label in specs:
        cache[label] = x509.Certificate.load(arch.get_cert(label).dump())


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Quiet: one line per OCSP or TSA request is noise."""
KEYS = ("root", "interm", "signer", "provider", "tsa", "ocsp")


def _validity(start: datetime, years: int) -> dict[str, str]:
    return {"valid-from": start.strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "valid-to": (start + timedelta(days=365 * years)).strftime("%Y-%m-%dT%H:%M:%S+0000")}


def _key_usage(*uses: str, critical: bool = True) -> dict:
    return {"id": "key_usage", "critical": critical, "smart-value": {"schema": "key-usage", "params": list(uses)}}


def _config(start: datetime, agency: str, signer_revoked_since: datetime | None = None) -> dict:
    crl_of = lambda repo: {"id": "crl_distribution_points",  # noqa: E731
                           "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": [repo]}}}
    return {
        "keysets": {"demo": {"keys": {k: {"path": f"keys/{k}.key.pem"} for k in KEYS}}},
        "pki-architectures": {ARCH: {
            "keyset": "demo",
            "entity-defaults": {"country-name": "TW", "organization-name": "Forms Service DEMO"},
            "entities": {
                "root": {"common-name": "Forms Service DEMO Root CA (not trusted)"},
                "interm": {"common-name": "Forms Service DEMO Issuing CA"},
                "signer": {"common-name": f"DEMO 簽章 {agency}"},
                "provider": {"common-name": "DEMO 經濟部商業發展署 (data provider)"},
                "tsa": {"common-name": "Forms Service DEMO Time-Stamping Authority"},
                "ocsp": {"common-name": "Forms Service DEMO OCSP Responder"},
            },
            "certs": {
                "root": {"subject": "root", "issuer": "root", "validity": _validity(start, 20), "extensions": [
                    {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                    _key_usage("digital_signature", "key_cert_sign", "crl_sign")]},
                "interm": {"issuer": "root", "validity": _validity(start, 10), "extensions": [
                    {"id": "basic_constraints", "critical": True, "value": {"ca": True, "path-len-constraint": 0}},
                    _key_usage("digital_signature", "key_cert_sign", "crl_sign"), crl_of("root")]},
                "ocsp": {"issuer": "interm", "validity": _validity(start, 10), "extensions": [
                    _key_usage("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                    {"id": "ocsp_no_check"}]},
                "tsa": {"issuer": "root", "validity": _validity(start, 10), "extensions": [
                    _key_usage("digital_signature"),
                    {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]}, crl_of("root")]},
                "signer": {"issuer": "interm", "validity": _validity(start, 3), "extensions": [
                    _key_usage("digital_signature", "non_repudiation"), crl_of("interm"),
                    {"id": "authority_information_access",
                     "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["interm"]}}}]},
                "provider": {"template": "signer", "subject": "provider", "subject-key": "provider"},
            },
            "services": {
                "ocsp": {"interm": {"for-issuer": "interm", "responder-cert": "ocsp", "signing-key": "ocsp"}},
                "crl-repo": {
                    "root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P90D"},
                    "interm": {"for-issuer": "interm", "signing-key": "interm", "simulated-update-schedule": "P7D"},
                },
                "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
            },
        }},
    }


@dataclass(frozen=True)
class DemoPkiFiles:
    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / "certomancer.yml"

    @property
    def signer_p12(self) -> Path:
        return self.directory / "demo-signer.p12"

    @property
    def provider_p12(self) -> Path:
        return self.directory / "demo-provider.p12"

    @property
    def root_pem(self) -> Path:
        return self.directory / "demo-root.pem"

    @property
    def password(self) -> bytes:
        return (self.directory / "demo-signer.pass").read_bytes().strip()


def ensure_demo_pki(directory: Path, *, agency: str = "Forms Service DEMO Agency",
                    signer_revoked_since: datetime | None = None) -> DemoPkiFiles:
    """Create the demo PKI's keys and configuration in ``directory`` unless already there.

    ``signer_revoked_since`` makes a PKI whose signer certificate is revoked from that moment (OCSP
    and CRLs say so when asked as of a later time): for tests of revocation checking."""
    files = DemoPkiFiles(Path(directory))
    if files.config.exists():
        return files
    (files.directory / "keys").mkdir(parents=True, exist_ok=True)
    for name in KEYS:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _write_private(files.directory / "keys" / f"{name}.key.pem", key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    _write_private(files.directory / "demo-signer.pass", secrets.token_urlsafe(24).encode())
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1)
    config = _config(start, agency)
    if signer_revoked_since is not None:
        config["pki-architectures"][ARCH]["certs"]["signer"]["revocation"] = {
            "revoked-since": signer_revoked_since.strftime("%Y-%m-%dT%H:%M:%S+0000"), "reason": "key_compromise"}
    files.config.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return files


class DemoPkiServer:
    """Serves the demo PKI's TSA, OCSP and CRLs on 127.0.0.1 and exports the signer's PKCS#12; with
    ``pool``, also its cards (``demo_cards``): the CRLs of its DEMO GCA and MOICA, and the cards'
    certificates made again when the address moves."""

    def __init__(self, files: DemoPkiFiles, *, pool: SoftHsmPool | None = None):
        self.files = files
        self.cards = DemoCards(files.directory, pool) if pool is not None else None
        self._server: BaseWSGIServer | None = None
        self._animator: Animator | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> DemoPkiServer:
        """Serve the demo PKI, or use the server another live process (``serve``, while an operator
        runs a command) already runs for the same files: the certificates carry its URL."""
        if not isinstance(crypto_utils.CRYPTO_BACKEND, _KeyCachingBackend):
            crypto_utils.CRYPTO_BACKEND = _KeyCachingBackend()
        port_file = self.files.directory / "port.json"
        state = json.loads(port_file.read_text()) if port_file.exists() else {}
        owner, port = int(state.get("owner", 0)), int(state.get("port", 0))
        if owner and owner != os.getpid() and _alive(owner) and _answers(port):
            self.url = f"http://127.0.0.1:{port}"
            config = CertomancerConfig.from_file(str(self.files.config), external_url_prefix=self.url)
            self._arch = config.get_pki_arch(ArchLabel(ARCH))
            if self.cards is not None:
                self.cards.refresh(self.url)
            return self
        if not _free(port):  # the port of last time is taken: certificates get the new URL
            port = 0
        # Bound first: the certificates carry the port; the PKI's app is attached once they are made.
        server = make_server("127.0.0.1", port, app=_not_ready, threaded=True, request_handler=_QuietHandler)
        # The exported keys and certificates depend on the configuration and the port alone: written
        # again only when either changed (~0.13 s of a one-shot command's start).
        exported = {"port": server.server_port, "config": hashlib.sha256(self.files.config.read_bytes()).hexdigest()}
        current = state.get("exported") == exported and all(
            f.exists() for f in (self.files.signer_p12, self.files.provider_p12, self.files.root_pem))
        port_file.write_text(json.dumps({"port": server.server_port, "owner": os.getpid(),
                                         "exported": state.get("exported") if current else None}))
        self.url = f"http://127.0.0.1:{server.server_port}"
        config = CertomancerConfig.from_file(str(self.files.config), external_url_prefix=self.url)
        arch = config.get_pki_arch(ArchLabel(ARCH))
        _keep_certificates_encoded(arch)
        self._animator = Animator(AnimatorArchStore(config.pki_archs), with_web_ui=False, allow_time_override=False)
        server.app = self._app
        self._arch = arch
        self._server = server
        # A short poll: stopping waits for it, and a one-shot command stops the PKI on its way out.
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-pki",
                                        daemon=True)
        self._thread.start()
        if not current:
            _export(self.files, arch)
            port_file.write_text(json.dumps({"port": server.server_port, "owner": os.getpid(), "exported": exported}))
        if self.cards is not None:
            self.cards.refresh(self.url)
        return self

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The cards' CRLs (``/demo-cards/<ca>.crl``, made at each request from the cards' list),
        everything else certomancer's."""
        path = str(environ.get("PATH_INFO", ""))
        if self.cards is not None and path.startswith("/demo-cards/") and path.endswith(".crl"):
            ca = path.removeprefix("/demo-cards/").removesuffix(".crl")
            if ca in CA_NAMES:
                body = self.cards.crl(ca)
                start_response("200 OK", [("Content-Type", "application/pkix-crl"),
                                          ("Content-Length", str(len(body)))])
                return [body]
        assert self._animator is not None
        return self._animator(environ, start_response)

    def answer_as_of(self, moment: datetime | None) -> None:
        """Answer OCSP, CRL and timestamp requests as of ``moment`` (``None``: the real time), as
        a PKI in which time passes would: for tests of revocation checking."""
        if self._animator is None:
            raise RuntimeError("only the process serving the demo PKI can set its time")
        self._animator.fixed_time = moment

    @property
    def interm_crl_url(self) -> str:
        return f"{self.url}/{ARCH}/crls/interm/latest.crl"

    @property
    def tsa_url(self) -> str:
        return f"{self.url}/{ARCH}/tsa/tsa"

    def cert(self, label: str) -> x509.Certificate:
        return self._arch.get_cert(CertLabel(label))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> DemoPkiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _not_ready(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
    return [b"the demo PKI is starting"]


def export_keys(files: DemoPkiFiles, *, url: str = "http://127.0.0.1:9") -> DemoPkiFiles:
    """Write the signer's and provider's PKCS#12 files and the root without serving the PKI: enough
    to sign at B-B.  Their certificates point at ``url`` for OCSP and CRLs (nothing answers there by
    default, so revocation cannot be checked online: for tests that need no network)."""
    config = CertomancerConfig.from_file(str(files.config), external_url_prefix=url)
    _export(files, config.get_pki_arch(ArchLabel(ARCH)))
    return files


def _export(files: DemoPkiFiles, arch: Any) -> None:
    _write_private(files.signer_p12, arch.package_pkcs12(CertLabel("signer"), password=files.password))
    _write_private(files.provider_p12, arch.package_pkcs12(CertLabel("provider"), password=files.password))
    files.root_pem.write_bytes(_pem(arch.get_cert(CertLabel("root"))))
    (files.directory / "interm.der").write_bytes(arch.get_cert(CertLabel("interm")).dump())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _free(port: int) -> bool:
    # Checked with a socket of our own: werkzeug's make_server exits the process on a taken port.
    if not port:
        return True
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _pem(cert: x509.Certificate) -> bytes:
    import base64

    body = base64.encodebytes(cert.dump()).replace(b"\n", b"")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return b"-----BEGIN CERTIFICATE-----\n" + b"\n".join(lines) + b"\n-----END CERTIFICATE-----\n"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


__all__ = ["DemoPkiFiles", "DemoPkiServer", "ensure_demo_pki", "export_keys"]
