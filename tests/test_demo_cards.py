"""DEMO cards: a 機關憑證 per agency (its name and 機關代碼 in the subject) from the DEMO GCA and a
自然人憑證 per person from the DEMO MOICA, each on a SoftHSM2 token of its own behind its PIN, issued
on first use, chained to the demo root, revocable on its CA's CRL."""

from __future__ import annotations

import urllib.request

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from signing import Level, Pkcs11Provider, SignatureOptions, SigningError, sign_pdf, verify_pdf

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def cards(components):
    assert components.demo_pki is not None and components.demo_pki.cards is not None
    return components.demo_pki.cards


def test_an_agency_card_names_the_agency_and_signs_at_b_lta(components, cards, annex2_pdf):
    card = cards.agency_card("379010000A", "臺北市稅捐稽徵處", base_url=components.demo_pki.url)
    assert cards.agency_card("379010000A", "臺北市稅捐稽徵處", base_url=components.demo_pki.url) == card  # once
    subject = x509.load_der_x509_certificate(card.certificate).subject
    assert subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "379010000A"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "臺北市稅捐稽徵處"
    issuer = x509.load_der_x509_certificate(card.certificate).issuer.rfc4514_string()
    assert "DEMO GCA" in issuer
    provider = Pkcs11Provider(module=card.module, token_label=card.token_label, key_label=card.key_label,
                              pin=cards.pin(card))
    signed = sign_pdf(annex2_pdf, provider.signer(), SignatureOptions(level=Level.B_LTA), components.signing)
    report = verify_pdf(signed, components.trust_roots, revocation_mode="hard-fail")
    assert report.ok, report.as_dict()
    assert "臺北市稅捐稽徵處" in report.signatures[0].signer
    provider.close()


def test_a_wrong_pin_is_the_cards_refusal(components, cards):
    from signing import SignerUnavailable

    card = cards.person_card("wang", "王小明", base_url=components.demo_pki.url)
    wrong = "999999" if cards.pin(card) != "999999" else "111111"
    with pytest.raises(SignerUnavailable, match="refused the PIN"):
        Pkcs11Provider(module=card.module, token_label=card.token_label, key_label=card.key_label, pin=wrong).signer()


def test_a_revoked_card_is_on_the_crl_and_cannot_sign(components, cards, annex2_pdf):
    card = cards.person_card("lee", "李小華", base_url=components.demo_pki.url)
    provider = Pkcs11Provider(module=card.module, token_label=card.token_label, key_label=card.key_label,
                              pin=cards.pin(card))
    sign_pdf(annex2_pdf, provider.signer(), SignatureOptions(level=Level.B_LT), components.signing)
    cards.revoke("person", "lee")
    serial = x509.load_der_x509_certificate(card.certificate).serial_number
    with urllib.request.urlopen(f"{components.demo_pki.url}/demo-cards/moica.crl", timeout=10) as answer:
        crl = x509.load_der_x509_crl(answer.read())
    assert crl.get_revoked_certificate_by_serial_number(serial) is not None
    if components.signing.revocation is not None:
        components.signing.revocation.forget(provider.signer().signing_cert.sha256.hex())
    with pytest.raises(SigningError, match="revoked|validated"):
        sign_pdf(annex2_pdf, provider.signer(), SignatureOptions(level=Level.B_LT), components.signing)
    provider.close()
