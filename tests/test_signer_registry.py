"""The keys each party signs with: registered only when the certificate names the agency and
chains to a trusted root; found per agency (in demo mode: the agency's DEMO 機關憑證 issued on its
first document); retired, never deleted; every change in the audit log."""

from __future__ import annotations

import pytest

from forms_service.access import Actor, Role
from forms_service.errors import Forbidden, InputError
from forms_service.signers.registry import SignerRegistry
from forms_service.signers.store import SqlSigners

ADMIN = Actor("user:ada", "", Role.ADMIN)


@pytest.fixture
def registry(fake_components, catalog) -> SignerRegistry:
    return SignerRegistry(SqlSigners(catalog.db), trust_roots=fake_components.trust_roots, clock=fake_components.clock)


def pkcs12(demo_keys, tmp_path) -> dict:
    secret = tmp_path / "password"
    secret.write_bytes(demo_keys.password)
    return {"kind": "pkcs12", "path": str(demo_keys.signer_p12), "secret_source": f"file:{secret}"}


def test_the_services_own_seal_is_registered_with_its_certificate(registry, demo_keys, tmp_path, catalog):
    key = registry.register(ADMIN, party="service", label="本服務系統印", **pkcs12(demo_keys, tmp_path))
    assert key.party == "service" and "DEMO" in key.subject and len(key.fingerprint) == 64
    assert registry.party_key("service")[0].id == key.id
    assert [e.action for e in catalog.audit_events()] == ["signer.register"]


def test_an_agency_key_must_name_the_agency(registry, demo_keys, tmp_path):
    with pytest.raises(InputError, match="不是「臺北市稅捐稽徵處」"):
        registry.register(ADMIN, party="agency", agency="379010000A", agency_name="臺北市稅捐稽徵處",
                          **pkcs12(demo_keys, tmp_path))
    with pytest.raises(InputError, match="請一併填寫機關名稱"):
        registry.register(ADMIN, party="agency", agency="379010000A", **pkcs12(demo_keys, tmp_path))


def test_a_key_that_chains_to_no_trusted_root_is_refused(fake_components, catalog, demo_keys, tmp_path):
    untrusting = SignerRegistry(SqlSigners(catalog.db), trust_roots=[], clock=fake_components.clock)
    with pytest.raises(InputError, match="受信任的根憑證"):
        untrusting.register(ADMIN, party="provider", **pkcs12(demo_keys, tmp_path))


def test_only_an_administrator_registers_and_retires_keys(registry, demo_keys, tmp_path, catalog):
    with pytest.raises(Forbidden):
        registry.register(Actor("user:sara", "379000000A", Role.STAFF), party="service", **pkcs12(demo_keys, tmp_path))
    key = registry.register(ADMIN, party="provider", **pkcs12(demo_keys, tmp_path))
    with pytest.raises(Forbidden):
        registry.retire(Actor("user:sara", "379000000A", Role.STAFF), key.id)
    assert registry.retire(ADMIN, key.id).state == "retired"
    assert registry.party_key("provider") is None
    with pytest.raises(InputError, match="已停用"):
        registry.retire(ADMIN, key.id)
    assert [e.action for e in catalog.audit_events()] == ["signer.retire", "signer.register"]


def test_a_wrong_password_is_a_sentence_naming_the_key(registry, demo_keys, tmp_path):
    wrong = tmp_path / "wrong"
    wrong.write_text("not it")
    with pytest.raises(InputError, match="無法開啟此金鑰"):
        registry.register(ADMIN, party="service", kind="pkcs12", path=str(demo_keys.signer_p12),
                          secret_source=f"file:{wrong}")


@pytest.mark.integration
def test_each_agency_gets_its_own_demo_card_on_its_first_document(components, catalog):

    service = components.sharing(catalog=catalog)
    registry = service.signers
    first, provider = registry.agency_key("379010000A", "臺北市稅捐稽徵處")
    again, _ = registry.agency_key("379010000A", "臺北市稅捐稽徵處")
    other, _ = registry.agency_key("379000000A", "臺北市政府財政局")
    assert first.id == again.id and first.fingerprint != other.fingerprint
    assert "379010000A" in first.subject and "臺北市稅捐稽徵處" in first.subject
    assert "379000000A" in other.subject and provider.signer().signing_cert.dump() == first.certificate
    # A card of another agency cannot be registered for this one.
    with pytest.raises(InputError, match="不屬於該機關"):
        registry.register(ADMIN, party="agency", agency="379000000A", agency_name="臺北市政府財政局",
                          kind="pkcs11", module=first.module, token_label=first.token_label,
                          key_label=first.key_label, secret_source=first.secret_source)
    registry.close()
