"""The SignerProvider contract, against every provider (PKCS#12 file)."""

from __future__ import annotations

import pytest

from signing import Pkcs12Provider, SignerProvider, SignerUnavailable, sign_pdf, validate_pdf
from signing.demo_pki import ensure_demo_pki
from signing.validation import load_trust_roots


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return ensure_demo_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(params=["pkcs12"])
def provider(request, pki) -> SignerProvider:
    return Pkcs12Provider(pki.signer_p12, password=pki.password)


def test_implements_the_protocol(provider):
    assert isinstance(provider, SignerProvider)


def test_the_signer_is_opened_once_and_reused(provider):
    assert provider.signer() is provider.signer()


def test_a_signature_made_with_it_is_intact_valid_and_trusted(provider, pki, annex2_pdf):
    signed = sign_pdf(annex2_pdf, provider.signer())
    [report] = validate_pdf(signed, load_trust_roots([str(pki.root_pem)]))
    assert report.intact and report.valid and report.trusted
    assert "DEMO" in report.signer


def test_a_signature_is_not_trusted_without_its_root(provider, annex2_pdf):
    signed = sign_pdf(annex2_pdf, provider.signer())
    [report] = validate_pdf(signed, [])
    assert report.intact and not report.trusted


def test_a_wrong_password_is_a_clear_error_without_the_secret(pki):
    with pytest.raises(SignerUnavailable, match="wrong password") as caught:
        Pkcs12Provider(pki.signer_p12, password=b"guess-123").signer()
    assert "guess-123" not in str(caught.value)


def test_a_missing_key_file_is_a_clear_error(tmp_path):
    with pytest.raises(SignerUnavailable, match="cannot read"):
        Pkcs12Provider(tmp_path / "absent.p12", password=b"x").signer()
