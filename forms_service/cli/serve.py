"""``forms-service serve``: the HTTP(S) service in one process, with its components."""

from __future__ import annotations

import os
import signal
import ssl
import sys
import threading
from types import FrameType

import click

from ..errors import ConfigError
from ..settings import Settings
from .base import load_settings

# The demo administrator's agency: no agency has a code of zeros.
DEMO_AGENCY_CODE = "000000000D"


@click.command()
@click.option("--host", help="address to listen on (default FORMS_HOST or 127.0.0.1)")
@click.option("--port", type=int, help="port to listen on (default FORMS_PORT or 8080)")
def serve(host: str | None, port: int | None) -> None:
    """Run the HTTP(S) service (starts the embedded store and LibreOffice workers as needed).

    HTTPS when FORMS_TLS_CERTIFICATE and FORMS_TLS_KEY are set.  In production run it under
    gunicorn instead: gunicorn -c python:forms_service.web.gunicorn_conf
    """
    from werkzeug.serving import make_server

    from ..access import Role
    from ..access.tokens import create_token
    from ..audit.seals import DailySealer
    from ..components import start_components
    from ..web import create_app

    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    settings = load_settings(**overrides)
    click.echo("starting: LibreOffice workers, signer" + (", embedded object store" if settings.embedded_store else ""),
               err=True)
    # Until the server runs, TERM must unwind like Ctrl-C so half-started components are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    components = start_components(settings)
    sealer = DailySealer(components.sealer).start()
    try:
        app = create_app(settings, components=components)
        server = make_server(settings.host, settings.port, app, threaded=True, ssl_context=tls_context(settings))
        url = f"{'https' if settings.tls_certificate else 'http'}://{settings.host}:{server.server_port}"
        click.echo(f"Forms Service listening on {url}")
        if settings.embedded_store and settings.demo_signer:
            catalog = components.require_archive()[1]
            catalog.revoke_tokens(label="demo")
            token = create_token(catalog, agency=DEMO_AGENCY_CODE, role=Role.ADMIN, label="demo")
            show_demo_token(token, url, settings)
        click.echo(f"pages for records clerks: {url}/records "
                   "(create a user first: forms-service users create --username NAME --agency CODE --role clerk)")

        def stop(signum: int, _frame: FrameType | None) -> None:
            # shutdown() waits for serve_forever to return, so it must run in another thread;
            # a second signal (Ctrl-C twice, or a supervisor's TERM after ours) is harmless.
            click.echo(f"stopping ({signal.Signals(signum).name})", err=True)
            threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        server.serve_forever()
        server.server_close()
    finally:
        sealer.stop()
        components.close()


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
    """HTTPS (TLS 1.2 or newer) when FORMS_TLS_CERTIFICATE / FORMS_TLS_KEY are set; None otherwise."""
    if not settings.tls_certificate:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.tls_certificate, settings.tls_key)
    except (ssl.SSLError, OSError) as err:
        raise ConfigError(f"FORMS_TLS_CERTIFICATE / FORMS_TLS_KEY: cannot load them ({err})") from err
    return context
