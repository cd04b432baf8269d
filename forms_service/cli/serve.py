"""``forms-service serve``: the service under gunicorn, one web process per core by default.

The master process starts what the web processes share (the embedded store and the demo PKI),
prints the address and the demo token, and supervises the workers; each worker starts its own
LibreOffice workers, signer and catalog connection (``forms_service.web.wsgi``).
"""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
from typing import Any

import click
from gunicorn.app.base import BaseApplication

from ..errors import ConfigError
from ..settings import Settings
from .base import load_settings

# The demo administrator's agency: no agency has a code of zeros.
DEMO_AGENCY_CODE = "000000000D"


@click.command()
@click.option("--host", help="address to listen on (default FORMS_HOST or 127.0.0.1)")
@click.option("--port", type=int, help="port to listen on (default FORMS_PORT or 8080; 0 picks a free one)")
@click.option("--workers", type=click.IntRange(1, 64),
              help="web worker processes (default FORMS_WEB_WORKERS or one per core)")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Run the HTTP(S) service under gunicorn (starts the embedded store, the demo PKI and the
    LibreOffice workers as the settings ask).

    HTTPS when FORMS_TLS_CERTIFICATE and FORMS_TLS_KEY are set.  The same server as
    gunicorn -c python:forms_service.web.gunicorn_conf, plus the demo token in demo mode.
    """
    # The settings and gunicorn's configuration are read from the environment, here and in the
    # workers (which inherit it): the options become FORMS_* variables first.
    for name, value in (("FORMS_HOST", host), ("FORMS_PORT", port), ("FORMS_WEB_WORKERS", workers)):
        if value is not None:
            os.environ[name] = str(value)
    settings = load_settings()
    tls_context(settings)  # a certificate that cannot be loaded stops here, with its setting named
    click.echo("starting: " + ", ".join(["web workers", "LibreOffice workers", "signer", "background jobs",
                                         *(["embedded object store"] if settings.embedded_store else [])]),
               err=True)
    reader = start_demo_card_reader(settings)
    try:
        ServiceServer(settings).run()
    finally:
        if reader is not None:
            reader.terminate()
            reader.wait(10)


def start_demo_card_reader(settings: Settings) -> subprocess.Popen[bytes] | None:
    """In demo mode, the LocalSignServer stand-in over the demo cards (``signing.local_sign``) on
    FORMS_DEMO_CARD_READER_PORT, so that the signing page's 「以憑證卡簽章」 works on the first run;
    not when something listens there already (the real HiPKI component, say)."""
    port = settings.demo_card_reader_port
    if not settings.demo_signer or not port:
        return None
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            click.echo(f"a card program already listens on port {port} (HiPKI?): the demo card reader is not started")
            return None
    from ..components import demo_card_pool

    pool = demo_card_pool(settings)
    reader = subprocess.Popen([sys.executable, "-m", "signing.local_sign", "--port", str(port), "--with-parent"],
                              env={**os.environ, "SOFTHSM2_CONF": str(pool.conf)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    click.echo(f"demo card reader (a stand-in for HiPKI's LocalSignServer) on http://localhost:{port}: "
               "forms-service demo cards lists the cards and their PINs")
    return reader


class ServiceServer(BaseApplication):  # gunicorn is untyped
    """gunicorn with the packaged configuration and, when it is ready, the address and demo token."""

    def __init__(self, settings: Settings):
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        from ..web import gunicorn_conf

        for key in self.cfg.settings:
            if key != "wsgi_app" and hasattr(gunicorn_conf, key):
                self.cfg.set(key, getattr(gunicorn_conf, key))
        self.cfg.set("when_ready", self._ready)
        self.cfg.set("proc_name", "forms-service")

    def load(self) -> Any:
        from ..web.wsgi import app

        return app

    def _ready(self, server: Any) -> None:
        """In the master, listening and with the shared services up: say where, and who may."""
        host, port = server.LISTENERS[0].sock.getsockname()[:2]
        url = f"{'https' if self.settings.tls_certificate else 'http'}://{host}:{port}"
        click.echo(f"Forms Service listening on {url}")
        if self.settings.embedded_store and self.settings.demo_signer:
            show_demo_token(demo_token(self.settings), url, self.settings)
        click.echo(f"pages for records clerks: {url}/records "
                   "(create a user first: forms-service users create --username NAME --agency CODE --role clerk)")
        sys.stdout.flush()


def demo_token(settings: Settings) -> str:
    """A new administrator's token for the demo, the previous one revoked."""
    from ..access import Role
    from ..access.tokens import create_token
    from ..components import open_catalog

    catalog = open_catalog(settings)
    try:
        catalog.revoke_tokens(label="demo")
        return create_token(catalog, agency=DEMO_AGENCY_CODE, role=Role.ADMIN, label="demo")
    finally:
        catalog.close()


def show_demo_token(token: str, url: str, settings: Settings) -> None:
    """An administrator's token belongs on the operator's screen, never in a log: printed when the
    output is a terminal, else written to a file only the service's user can read."""
    if sys.stdout.isatty():
        click.echo(f"demo token (admin, valid until the next start): {token}")
        click.echo(f"  try: curl -H 'Authorization: Bearer {token}' {url}/api/v1/forms")
        return
    path = settings.data_dir / "demo-token"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    click.echo(f"demo token (admin, valid until the next start): in {path} (this output is not a terminal)")


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """HTTPS (TLS 1.2 or newer) when FORMS_TLS_CERTIFICATE / FORMS_TLS_KEY are set; None otherwise.
    gunicorn loads them again in each worker; this check names the setting when they cannot be."""
    if not settings.tls_certificate:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_certificate, settings.tls_key)
    except (ssl.SSLError, OSError) as err:
        raise ConfigError(f"FORMS_TLS_CERTIFICATE / FORMS_TLS_KEY: cannot load them ({err})") from err
    return context
