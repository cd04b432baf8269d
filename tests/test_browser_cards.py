"""Signing with cards in a real Chromium, through the LocalSignServer stand-in's popup protocol over
SoftHSM2 cards: a 附件1 filed through the API waits for its 承辦人, who signs it with his own card
(after a wrong PIN, refused by the card), then 單位主管 with hers and 機關首長 with the agency's
機關憑證 card, each in its own block; the provider countersigns a 附件2 with its card."""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.repositories import SqlCatalog
from forms_service.web import create_app
from signing import verify_pdf
from signing.local_sign import LocalSignServer, Reader
from storage.seaweed import free_port
from tests.conftest import load_example, signed_form
from tests.test_browser import PASSWORD, shoot, sign_in

AGENCY, NAME = "379000000A", "臺北市政府財政局"
PEOPLE = (("card-wang", "王小明"), ("card-lin", "林森華"), ("card-chen", "陳局長"))


@pytest.fixture(scope="module")
def card_site(components, tmp_path_factory):
    """The app on loopback with the agency's people, its choice that 承辦人 and 單位主管 sign 附件1
    first, and the stand-in LocalSignServer over the demo cards (the signer's "PC")."""
    reader = _reader_process(components)
    catalog = SqlCatalog(f"sqlite:///{tmp_path_factory.mktemp('cards') / 'catalog.sqlite3'}")
    catalog.create_schema()
    settings = dataclasses.replace(components.settings, local_sign_url=reader.url)  # type: ignore[attr-defined]
    served = components.sharing(settings=settings, catalog=catalog)
    for username, name in PEOPLE:
        create_user(catalog, username=username, password=PASSWORD, agency=AGENCY, role="staff", full_name=name)
    create_user(catalog, username="card-paul", password=PASSWORD, agency="A15000000E", role="provider",
                full_name="吳審核")
    catalog.set_agency_profile(AGENCY, {"name": NAME, "signature_blocks": [
        "annex1-interface:officer", "annex1-interface:supervisor"]}, by="test", now=served.clock.now())
    server = make_server("127.0.0.1", 0, create_app(settings, components=served), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", served
    server.shutdown()
    reader.terminate()
    reader.wait(10)
    served.close()
    catalog.close()


def _reader_process(components):
    """The stand-in in a process of its own, as on the signer's PC (the service's process holds the
    agency's demo card open as its key, and PKCS#11 logs a process in to a card once)."""
    port = free_port()
    reader = subprocess.Popen([sys.executable, "-m", "signing.local_sign", "--port", str(port), "--with-parent"],
                              env={**os.environ, "SOFTHSM2_CONF": str(components.demo_pki.cards.pool.conf)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            break
        time.sleep(0.1)
    reader.url = f"http://localhost:{port}"  # type: ignore[attr-defined]
    return reader


def _sign_with_card(page: Page, *, pin: str | None = None) -> None:
    """On the signing page: read the card, choose the one the demo hint names, type its PIN, sign."""
    token = page.locator("#demo-card-token").inner_text()
    pin = pin if pin is not None else page.locator("#demo-card-pin").inner_text()
    page.get_by_role("button", name="讀取憑證卡").click()
    expect(page.get_by_label("憑證卡", exact=True)).to_be_visible()
    label = next(o for o in page.locator("#slot option").all_inner_texts() if token in o)
    page.get_by_label("憑證卡", exact=True).select_option(label=label)
    page.get_by_label("憑證卡密碼（PIN）").fill(pin)
    page.get_by_role("button", name="以憑證卡簽章").click()


def test_three_signers_sign_a_application_with_their_cards_in_turn(page: Page, card_site):
    url, served = card_site
    catalog = served.catalog
    token = create_token(catalog, agency=AGENCY, role="staff", username="card-wang")
    waiting = create_app(served.settings, components=served).test_client().post(
        "/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
        headers={"Authorization": f"Bearer {token}"})
    assert waiting.status_code == 202, waiting.json
    sign_page = waiting.json["links"]["sign"]

    # 承辦人: a wrong PIN is the card's refusal, said beside the PIN; then his own PIN signs it.
    sign_in(page, url, "card-wang")
    page.goto(url + sign_page)
    expect(page.get_by_text("現在輪到此欄簽章")).to_be_visible()
    shoot(page, "sign-card-ceremony")
    right = page.locator("#demo-card-pin").inner_text()
    _sign_with_card(page, pin="000000" if right != "000000" else "111111")
    expect(page.locator("#error-summary")).to_contain_text("密碼（PIN）不正確")
    expect(page.locator("#pin-error")).to_be_visible()
    shoot(page, "sign-card-wrong-pin")
    assert catalog.latest_versions() == []  # nothing stored
    page.get_by_label("憑證卡密碼（PIN）").fill(right)
    page.get_by_role("button", name="以憑證卡簽章").click()
    expect(page.get_by_text("已完成「承辦人」簽章")).to_be_visible()
    expect(page.get_by_text("下一位：「單位主管」簽章")).to_be_visible()
    shoot(page, "sign-card-confirmation")
    record_id = page.url.split("/records/")[1].split("?")[0]

    # 單位主管, with hers; 機關首長（或授權人）, with the agency's 機關憑證 card.
    for username in ("card-lin", "card-chen"):
        # Off the record page first: a request of it still in flight (its preview) would answer with
        # the session's cookie after the clearing, and the sign-in page would find him signed in.
        page.goto("about:blank")
        page.context.clear_cookies()
        sign_in(page, url, username)
        page.goto(f"{url}/records/{record_id}")
        expect(page.get_by_text("待簽").first).to_be_visible()
        page.get_by_role("link", name="前往簽章頁").click()
        _sign_with_card(page)
        expect(page.get_by_text("已完成「").first).to_be_visible()
    expect(page.get_by_text("所有簽章皆已完成")).to_be_visible()

    record = catalog.get_record(record_id)
    assert [v.number for v in record.versions] == [1, 2, 3]
    report = verify_pdf(served.archive.read(record.latest, actor=LOCAL_OPERATOR), served.trust_roots,
                        revocation_mode="hard-fail")
    assert report.ok, report.as_dict()
    signatures = [s for s in report.signatures if s.kind == "signature"]
    assert [s.field for s in signatures] == ["officer", "supervisor", "head"]
    assert "王小明" in signatures[0].signer and "林森華" in signatures[1].signer and NAME in signatures[2].signer
    assert all(s.level == "B-LTA" for s in signatures)


def test_the_provider_countersigns_an_agreement_with_its_card(page: Page, card_site):
    url, served = card_site
    stored = served.archive.submit(signed_form(served, "annex2-agreement", load_example("annex2-agreement")),
                                   LOCAL_OPERATOR)
    sign_in(page, url, "card-paul")
    page.goto(f"{url}/records/{stored.record_id}/sign")
    expect(page.get_by_text("資料提供機關（資料提供機關）：")).to_be_visible()
    _sign_with_card(page)
    expect(page.get_by_text("已完成「資料提供機關」簽章")).to_be_visible()
    record = served.catalog.get_record(stored.record_id)
    report = verify_pdf(served.archive.read(record.latest, actor=LOCAL_OPERATOR), served.trust_roots)
    signatures = [s for s in report.signatures if s.kind == "signature"]
    assert report.ok and [s.field for s in signatures] == ["party", "provider"]
    assert served.settings.provider_name in signatures[1].signer


def test_the_stand_in_speaks_hipki_over_http(components):
    """What the page relies on, straight over HTTP: the cards with their certificates, a signature
    that verifies against the card's certificate, a wrong PIN refused with HiPKI's code."""
    import json
    import urllib.request

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    cards = components.demo_pki.cards
    card = cards.person_card("card-wang", "王小明", base_url=components.demo_pki.url)
    reader = LocalSignServer(Reader(cards.pool.module), port=0).start()
    try:
        with urllib.request.urlopen(f"{reader.url}/pkcs11info?withcert=true", timeout=10) as answer:
            info = json.loads(answer.read())
        slot = next(s for s in info["slots"] if s["token"]["label"] == card.token_label)
        on_card = {base64.b64decode(c["certb64"]) for c in slot["token"]["certs"]}
        assert card.certificate in on_card

        def sign(pin: str) -> dict:
            body = json.dumps({"func": "MakeSignature", "tbs": base64.b64encode(b"hello").decode(),
                               "tbsEncoding": "base64", "hashAlgorithm": "SHA256", "signatureType": "PKCS1",
                               "pin": pin, "slotDescription": slot["slotDescription"]}).encode()
            request = urllib.request.Request(f"{reader.url}/sign", data=body, method="POST")
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read())

        good = sign(cards.pin(card))
        assert good["ret_code"] == 0
        x509.load_der_x509_certificate(card.certificate).public_key().verify(
            base64.b64decode(good["signature"]), b"hello", padding.PKCS1v15(), hashes.SHA256())
        wrong = sign("000000" if cards.pin(card) != "000000" else "111111")
        assert wrong["ret_code"] == 0x76000031 and "signature" not in wrong
    finally:
        reader.stop()
