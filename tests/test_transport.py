"""Serving over TLS, with `serve` and under gunicorn with the packaged configuration."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from forms_service.errors import ConfigError
from forms_service.settings import Settings
from storage.seaweed import free_port
from tests.conftest import start_serve

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and the client context trusting it."""
    directory = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "forms.test")])
    now = datetime.now(timezone.utc)
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(cafile=str(cert_file))
    return cert_file, key_file, context


def _get(url: str, context: ssl.SSLContext):
    with urllib.request.urlopen(url, timeout=10, context=context) as response:
        return response.status, dict(response.headers), response.read()


def test_serve_speaks_https_only_with_a_certificate(tmp_path, certificate):
    cert_file, key_file, context = certificate
    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data"), "FORMS_CONVERTER_WORKERS": "1",
           "FORMS_TLS_CERTIFICATE": str(cert_file), "FORMS_TLS_KEY": str(key_file)}
    proc, url, _token = start_serve(env)
    try:
        assert url.startswith("https://")
        status, headers, body = _get(f"{url}/healthz", context)
        assert status == 200 and json.loads(body)["ok"] is True
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        status, headers, _ = _get(f"{url}/login", context)
        assert "Secure" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
        # plain HTTP to the HTTPS port: the TLS server drops it, nothing is served
        with pytest.raises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
            urllib.request.urlopen(url.replace("https://", "http://") + "/healthz", timeout=5)
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0


def test_a_certificate_without_its_key_is_a_named_setting_error(tmp_path, certificate):
    with pytest.raises(ConfigError, match="FORMS_TLS_KEY"):
        Settings.load(environ={"FORMS_TLS_CERTIFICATE": str(certificate[0])}, data_dir=tmp_path)
    with pytest.raises(ConfigError, match="FORMS_TLS_CERTIFICATE"):
        Settings.load(environ={"FORMS_TLS_CERTIFICATE": str(tmp_path / "none.pem"),
                               "FORMS_TLS_KEY": str(certificate[1])},
                      data_dir=tmp_path)


def test_gunicorn_serves_the_app_over_tls_with_the_packaged_configuration(tmp_path, certificate):
    cert_file, key_file, context = certificate
    port = free_port()
    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data"), "FORMS_CONVERTER_WORKERS": "1",
           "FORMS_PORT": str(port), "FORMS_TLS_CERTIFICATE": str(cert_file), "FORMS_TLS_KEY": str(key_file)}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "python:forms_service.web.gunicorn_conf"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        log = []
        assert proc.stderr is not None
        for line in proc.stderr:  # the worker says when its components have started
            log.append(line)
            if "Forms Service ready" in line:
                break
        else:
            raise AssertionError("gunicorn stopped before its worker was ready:\n" + "".join(log))
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep its log pipe from filling
        status, headers, body = _get(f"https://127.0.0.1:{port}/healthz", context)
        assert status == 200 and json.loads(body)["ok"] is True
        status, _, body = _get(f"https://127.0.0.1:{port}/api/v1/openapi.json", context)
        assert json.loads(body)["openapi"] == "3.1.0"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
