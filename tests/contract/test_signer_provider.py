"""The SignerProvider contract, against every provider: a PKCS#12 file and a PKCS#11 token
(SoftHSM2, with the key generated on the token)."""

from __future__ import annotations

import dataclasses

import pytest

from signing import (
    Level,
    Pkcs11Provider,
    Pkcs12Provider,
    SignatureOptions,
    SignerProvider,
    SignerUnavailable,
    sign_pdf,
    verify_pdf,
)


@pytest.fixture(scope="session")
def demo_dir(components):
    return components.settings.data_dir / "pki"


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory, demo_dir, components, softhsm_pool):
    from tests.softhsm import make_token

    crl_url = components.signing.tsa_url.rsplit("/tsa/", 1)[0] + "/crls/interm/latest.crl"
    return make_token(tmp_path_factory.mktemp("softhsm"), demo_pki_dir=demo_dir, crl_url=crl_url,
                      pool=softhsm_pool)


@pytest.fixture(params=["pkcs12", "pkcs11-softhsm"])
def provider(request, demo_dir) -> SignerProvider:
    if request.param == "pkcs12":
        from signing.demo_pki import DemoPkiFiles

        files = DemoPkiFiles(demo_dir)
        made = Pkcs12Provider(files.signer_p12, password=files.password)
    else:
        token = request.getfixturevalue("softhsm_token")
        made = Pkcs11Provider(module=token.module, token_label=token.label, key_label=token.key_label, pin=token.pin)
    yield made
    made.close()


def test_implements_the_protocol(provider):
    assert isinstance(provider, SignerProvider)


def test_the_signer_is_opened_once_and_reused(provider):
    assert provider.signer() is provider.signer()


@pytest.mark.parametrize("level", [Level.B_B, Level.B_LTA])
def test_a_signature_made_with_it_is_intact_valid_and_trusted(provider, annex2_pdf, components, level):
    signed = sign_pdf(annex2_pdf, provider.signer(), SignatureOptions(level=level), components.signing)
    verification = verify_pdf(signed, components.trust_roots)
    assert verification.ok, verification.problems
    assert verification.signatures[0].level == str(level)


def test_a_signature_is_not_trusted_without_its_root(provider, annex2_pdf):
    signed = sign_pdf(annex2_pdf, provider.signer())
    verification = verify_pdf(signed, [])
    assert verification.signatures[0].intact and not verification.signatures[0].trusted and not verification.ok


def test_a_wrong_password_is_a_clear_error_without_the_secret(demo_dir):
    from signing.demo_pki import DemoPkiFiles

    with pytest.raises(SignerUnavailable, match="wrong password") as caught:
        Pkcs12Provider(DemoPkiFiles(demo_dir).signer_p12, password=b"guess-123").signer()
    assert "guess-123" not in str(caught.value)


def test_a_missing_key_file_is_a_clear_error(tmp_path):
    with pytest.raises(SignerUnavailable, match="cannot read"):
        Pkcs12Provider(tmp_path / "absent.p12", password=b"x").signer()


def test_a_wrong_pin_is_refused_without_the_pin(softhsm_token):
    token = softhsm_token
    provider = Pkcs11Provider(module=token.module, token_label=token.label, key_label=token.key_label, pin="000999")
    with pytest.raises(SignerUnavailable, match="refused the PIN") as caught:
        provider.signer()
    assert "000999" not in str(caught.value)


def test_an_absent_token_is_a_clear_error(softhsm_token):
    token = softhsm_token
    provider = Pkcs11Provider(module=token.module, token_label="not-inserted", key_label="agency", pin=token.pin)
    with pytest.raises(SignerUnavailable, match="not-inserted"):
        provider.signer()


def test_readyz_names_the_signer_when_its_token_is_absent(softhsm_token, fake_components):

    from forms_service.web import create_app

    token = softhsm_token
    absent = Pkcs11Provider(module=token.module, token_label="not-inserted", key_label="agency", pin=token.pin)
    components = fake_components.sharing(signer=absent)
    response = create_app(components.settings, components=components).test_client().get("/readyz")
    assert response.status_code == 503 and response.json["error"]["message"] == "not ready: signer"
    assert "not-inserted" in response.json["error"]["checks"]["signer"]["error"]


def test_a_wrong_key_label_is_a_clear_error(softhsm_token):
    token = softhsm_token
    provider = Pkcs11Provider(module=token.module, token_label=token.label, key_label="nobody", pin=token.pin)
    with pytest.raises(SignerUnavailable, match="nobody"):
        provider.signer()


def test_the_provider_signer_of_the_demo_is_a_different_key(components):
    assert components.provider_signer is not None
    assert components.provider_signer.signer().signing_cert != components.signer.signer().signing_cert
    assert dataclasses.is_dataclass(components)
