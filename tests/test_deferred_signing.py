"""Signing in two steps with a card the service never holds (``signing.deferred``): the prepared
bytes go to the card, its raw signature comes back and becomes a B-LTA signature in its block —
or is refused when it is not the certificate's key's over those bytes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from asn1crypto import x509 as asn1_x509

from forms_service.forms.signatures import block
from forms_service.produce.fields import Placed, add_fields
from signing import Level, SignatureOptions, SigningError, Stamp, verify_pdf
from signing.card import PinRefused, sign_with_card
from signing.deferred import SignatureMismatch, complete, prepare

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def with_field(annex2_pdf) -> bytes:
    return add_fields(annex2_pdf, [Placed("officer", 0, (60, 60, 210, 114))])


def _card(components, username: str, name: str):
    cards = components.demo_pki.cards
    card = cards.person_card(username, name, base_url=components.demo_pki.url)
    certificate = asn1_x509.Certificate.load(card.certificate)
    chain = [asn1_x509.Certificate.load(cards.ca_certificate("moica"))]
    return card, cards.pin(card), certificate, chain


def _options() -> SignatureOptions:
    officer = block("annex1-interface", "officer")
    assert officer is not None
    return SignatureOptions(field_name=officer.id, reason="附件1 申請", location="臺北市稅捐稽徵處",
                            level=Level.B_LTA, stamp=Stamp(("承辦人", "王小明"), box=None))


def test_a_card_signs_the_prepared_bytes_and_the_document_validates_at_b_lta(components, with_field):
    card, pin, certificate, chain = _card(components, "deferred-wang", "王小明")
    prepared = prepare(with_field, certificate, chain=chain, options=_options(), context=components.signing,
                       now=datetime.now(timezone.utc))
    assert prepared.document[:prepared.original_length] == with_field  # an incremental revision
    raw = sign_with_card(card.module, card.token_label, pin, prepared.to_be_signed)
    signed = complete(prepared, certificate, raw, chain=chain, level=Level.B_LTA, context=components.signing)
    report = verify_pdf(signed, components.trust_roots, revocation_mode="hard-fail")
    assert report.ok, report.as_dict()
    assert [(s.field, s.kind) for s in report.signatures][0] == ("officer", "signature")
    assert "王小明" in report.signatures[0].signer and report.signatures[0].timestamp is not None  # B-T and up
    assert [s.kind for s in report.signatures[1:]] == ["document timestamp"]  # B-LTA


def test_a_signature_over_other_bytes_is_refused(components, with_field):
    card, pin, certificate, chain = _card(components, "deferred-lin", "林森華")
    prepared = prepare(with_field, certificate, chain=chain, options=_options(), context=components.signing,
                       now=datetime.now(timezone.utc))
    other = sign_with_card(card.module, card.token_label, pin, prepared.to_be_signed + b"x")
    with pytest.raises(SignatureMismatch):
        complete(prepared, certificate, other, chain=chain, level=Level.B_LTA, context=components.signing)
    someone, someone_pin, _, _ = _card(components, "deferred-chen", "陳𡘙明")
    theirs = sign_with_card(someone.module, someone.token_label, someone_pin, prepared.to_be_signed)
    with pytest.raises(SignatureMismatch):  # another person's card over the right bytes
        complete(prepared, certificate, theirs, chain=chain, level=Level.B_LTA, context=components.signing)


def test_a_wrong_pin_is_refused_by_the_card(components):
    card, pin, _, _ = _card(components, "deferred-pin", "張大同")
    with pytest.raises(PinRefused):
        sign_with_card(card.module, card.token_label, "000000" if pin != "000000" else "111111", b"bytes")


def test_a_card_revoked_after_preparing_is_refused_at_completion(components, with_field):
    card, pin, certificate, chain = _card(components, "deferred-revoked", "李小華")
    prepared = prepare(with_field, certificate, chain=chain, options=_options(), context=components.signing,
                       now=datetime.now(timezone.utc))
    raw = sign_with_card(card.module, card.token_label, pin, prepared.to_be_signed)
    components.demo_pki.cards.revoke("person", "deferred-revoked")
    with pytest.raises(SigningError, match="revoked|validated"):
        complete(prepared, certificate, raw, chain=chain, level=Level.B_LTA, context=components.signing)
