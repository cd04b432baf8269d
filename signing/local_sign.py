"""A stand-in for 中華電信's HiPKI LocalSignServer, over PKCS#11 cards: the demo's "card reader".

Taiwan's pages reach a person's card through HiPKI's LocalSignServer, a program on his own PC at
``http://localhost:61161``.  This speaks the same HTTP endpoints and popup protocol over the cards
of a PKCS#11 module (the demo's SoftHSM2 tokens), so a newcomer signs with a "card" on the first
run; production users run the real component.  The protocol lives here and in the page's
``hipki.js`` only, so a correction touches those two.

    GET  /pkcs11info[?withcert=true]   the readers (slots) and their cards; with the certificates
    POST /sign                          ``tbsPackage`` (a form field, or the JSON body): ``func``
                                        "MakeSignature", ``tbs`` (``tbsEncoding`` "base64" or
                                        "NONE"), ``hashAlgorithm`` "SHA256", ``signatureType``
                                        "PKCS1", ``pin``, ``slotDescription`` → ``ret_code`` 0 with
                                        ``signature`` (base64) and ``certb64``, or an error code
    GET  /popupForm                     a page that posts ``{"func":"getTbs"}`` to its opener, takes
                                        the request the opener posts back (GetUserCert or
                                        MakeSignature), answers it, posts the answer's JSON text to
                                        the opener and closes: browsers refuse the page's own
                                        cross-origin requests (no CORS headers), not this

The PIN is checked by the card (a wrong one is the token's refusal), used once, never logged.
Run it: ``python -m signing.local_sign --port 61161`` (``forms-service serve`` starts it in demo mode).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import os
import threading
import urllib.parse
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509

from . import replacements
from .card import CARD_KEY_LABEL, CardCertificate, PinRefused, card_certificates, sign_with_card
from .errors import SignerUnavailable
from .softhsm import MODULE

# HiPKI's major error codes the pages tell apart (anything else: its code is shown).
OK = 0
NO_CARD = 0x76000001
UNSUPPORTED = 0x76000007
NO_CERTIFICATE = 0x76000008
BAD_REQUEST = 0x76000010
PIN_WRONG = 0x76000031
PIN_LOCKED = 0x76000044
VERSION = "forms-service-local-sign 1.0"
MAX_BODY = 1 << 20

POPUP = """<!doctype html>
<html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>憑證卡元件</title></head>
<body><p>憑證卡元件處理中…</p>
<script>
"use strict";
var asked = false;
window.addEventListener("message", function (event) {
  if (asked || event.source !== window.opener) { return; }
  asked = true;
  var request;
  try { request = JSON.parse(event.data); } catch (e) { request = {}; }
  var answer = request.func === "GetUserCert"
    ? fetch("/pkcs11info?withcert=true" + (request.slotDescription ? "&slotDescription=" +
        encodeURIComponent(request.slotDescription) : ""))
    : fetch("/sign", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
                      body: "tbsPackage=" + encodeURIComponent(event.data)});
  answer.then(function (r) { return r.text(); })
    .catch(function () { return JSON.stringify({func: "sign", ret_code: %(bad)d, last_error: 0}); })
    .then(function (text) { window.opener.postMessage(text, event.origin); window.close(); });
});
if (window.opener) { window.opener.postMessage(JSON.stringify({func: "getTbs"}), "*"); }
</script></body></html>
""" % {"bad": BAD_REQUEST}


class Reader:
    """The cards in a PKCS#11 module's slots, as HiPKI lists them: a slot per card ("讀卡機 n")."""

    def __init__(self, module: str = MODULE, *, cards: Callable[[], list[CardCertificate]] | None = None):
        self.module = module
        self._cards = cards or (lambda: card_certificates(module))

    def slots(self) -> list[tuple[str, CardCertificate]]:
        found = [c for c in self._cards() if any(label == CARD_KEY_LABEL for label, _ in c.certificates)]
        return [(f"讀卡機 {n}（{card.token_label}）", card) for n, card in enumerate(found, start=1)]

    def info(self, *, with_certificates: bool, slot: str = "") -> dict[str, Any]:
        slots = []
        for description, card in self.slots():
            if slot and description != slot:
                continue
            token: dict[str, Any] = {"label": card.token_label, "serialNumber": card.serial}
            if with_certificates:
                token["certs"] = [_certificate_entry(label, der) for label, der in card.certificates]
            slots.append({"slotDescription": description, "token": token})
        return {"func": "pkcs11info", "ret_code": OK, "last_error": 0, "version": VERSION, "slots": slots}

    def sign(self, request: dict[str, Any]) -> dict[str, Any]:
        def refused(code: int, message: str) -> dict[str, Any]:
            return {"func": "sign", "ret_code": code, "last_error": 0, "message": message, "version": VERSION}

        if request.get("func") != "MakeSignature":
            return refused(UNSUPPORTED, "only MakeSignature is supported")
        if str(request.get("signatureType", "PKCS1")).upper() != "PKCS1":
            return refused(UNSUPPORTED, "only signatureType PKCS1 is supported")
        if str(request.get("hashAlgorithm", "SHA256")).upper() != "SHA256":
            return refused(UNSUPPORTED, "only hashAlgorithm SHA256 is supported")
        tbs = _tbs(request)
        if tbs is None:
            return refused(BAD_REQUEST, "tbs is not valid for its tbsEncoding")
        slots = self.slots()
        wanted = str(request.get("slotDescription") or "")
        chosen = [card for description, card in slots if description == wanted] if wanted else \
            [card for _, card in slots][:1] if len(slots) == 1 else []
        if not chosen:
            return refused(NO_CARD, "no card in that reader" if wanted else "choose a reader (slotDescription)")
        card = chosen[0]
        try:
            signature = sign_with_card(self.module, card.token_label, urllib.parse.unquote(str(request.get("pin", ""))),
                                       tbs)
        except PinRefused as err:
            return refused(PIN_LOCKED if err.locked else PIN_WRONG, str(err))
        except SignerUnavailable as err:
            return refused(NO_CERTIFICATE, str(err))
        certificate = next(der for label, der in card.certificates if label == CARD_KEY_LABEL)
        return {"func": "sign", "ret_code": OK, "last_error": 0, "version": VERSION,
                "signature": base64.b64encode(signature).decode(), "certb64": base64.b64encode(certificate).decode(),
                "cardSN": card.serial}


def _tbs(request: dict[str, Any]) -> bytes | None:
    text = str(request.get("tbs", ""))
    if str(request.get("tbsEncoding", "NONE")).lower() == "base64":
        try:
            return base64.b64decode(urllib.parse.unquote(text), validate=True)
        except (binascii.Error, ValueError):
            return None
    return urllib.parse.unquote(text).encode()


def _certificate_entry(label: str, der: bytes) -> dict[str, Any]:
    cert = x509.load_der_x509_certificate(der)
    return {"label": label, "certb64": base64.b64encode(der).decode(), "subjectDN": cert.subject.rfc4514_string(),
            "issuerDN": cert.issuer.rfc4514_string(), "sn": format(cert.serial_number, "x"),
            "usage": "digitalSignature" if label == CARD_KEY_LABEL else "ca"}


class LocalSignServer:
    """The stand-in on ``127.0.0.1:port`` (a thread of the calling process)."""

    def __init__(self, reader: Reader, *, port: int = 61161, host: str = "127.0.0.1"):
        self.reader = reader
        handler = _handler(reader)
        self._server = ThreadingHTTPServer((host, port), handler)
        self.port = self._server.server_address[1]
        self.url = f"http://localhost:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> LocalSignServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-sign", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(reader: Reader) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "LocalSignServer"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: a request line per call would bury the stand-in's own lines (and never a PIN)."""

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            params = urllib.parse.parse_qs(query)
            if path == "/popupForm":
                self._send(200, POPUP.encode(), "text/html; charset=utf-8")
            elif path == "/pkcs11info":
                self._json(reader.info(with_certificates=params.get("withcert", ["false"])[0] == "true",
                                       slot=params.get("slotDescription", [""])[0]))
            elif path == "/selfTest.htm":
                self._send(200, "<!doctype html><title>LocalSignServer</title><p>元件運作正常".encode(),
                           "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            if self.path.partition("?")[0] != "/sign":
                self._send(404, b"not found", "text/plain")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, MAX_BODY)).decode("utf-8", "replace")
            if "tbsPackage=" in body and not body.lstrip().startswith("{"):
                body = urllib.parse.parse_qs(body).get("tbsPackage", [""])[0]
            try:
                request = json.loads(body)
            except ValueError:
                request = None
            if not isinstance(request, dict):
                self._json({"func": "sign", "ret_code": BAD_REQUEST, "last_error": 0})
                return
            self._json(reader.sign(request))

        def _json(self, value: dict[str, Any]) -> None:
            self._send(200, json.dumps(value, ensure_ascii=False).encode(), "application/json; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _stop_with_parent(server: LocalSignServer) -> None:
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        server._server.shutdown()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description="A stand-in for HiPKI's LocalSignServer over PKCS#11 cards.")
    parser.add_argument("--port", type=int, default=61161)
    parser.add_argument("--module", default=os.environ.get("FORMS_LOCAL_SIGN_MODULE", MODULE),
                        help="the PKCS#11 module of the cards (SoftHSM2's for the demo)")
    parser.add_argument("--with-parent", action="store_true", help="stop when the process that started it ends")
    args = parser.parse_args()
    replacements.install(stock=os.environ.get("FORMS_STOCK_LIBRARIES", "") in ("1", "true"))
    server = LocalSignServer(Reader(args.module), port=args.port)
    if args.with_parent:
        _stop_with_parent(server)
    print(f"LocalSignServer stand-in on {server.url} (cards of {args.module})", flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends it
            server._server.serve_forever()
    finally:
        server._server.server_close()


if __name__ == "__main__":
    main()
