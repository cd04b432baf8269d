"""Every signature is its signer's, on the real components in demo mode: each agency's 附件2 signed
with its own DEMO 機關憑證, and a 附件1 signed through the two-step API in turn by 承辦人 and
單位主管 with their own cards and by the agency with its card — each card driven through PKCS#11
directly in a process of its own, as a signer's own program would — and a card revoked meanwhile
refused, nothing kept."""

from __future__ import annotations

import base64
import copy

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.signers import people
from signing import verify_pdf
from tests.card_process import sign_in_own_process
from tests.conftest import load_example

pytestmark = pytest.mark.integration

TAX, TAX_NAME = "379010000A", "臺北市稅捐稽徵處"
FINANCE, FINANCE_NAME = "379000000A", "臺北市政府財政局"


def _pdf(app_components, record_id: str) -> bytes:
    record = app_components.catalog.get_record(record_id)
    return app_components.archive.read(record.latest, actor=LOCAL_OPERATOR)


def test_two_agencies_agreements_are_each_signed_by_its_own_agency_certificate(real_client, app_components):
    finance = load_example("annex2-agreement")
    tax = copy.deepcopy(finance)
    tax["party"].update({"name": TAX_NAME, "code": TAX})
    subjects = {}
    for code, data in ((FINANCE, finance), (TAX, tax)):
        token = create_token(app_components.catalog, agency=code, role="staff", label="system")
        filed = real_client.post("/api/v1/forms/annex2-agreement/records", json=data,
                                 headers={"Authorization": f"Bearer {token}"})
        assert filed.status_code == 201, filed.json
        assert filed.json["signing"] == {"order": ["party", "provider"], "signed": ["party"], "next": "provider"}
        report = verify_pdf(_pdf(app_components, filed.json["record_id"]), app_components.trust_roots)
        [signature] = [s for s in report.signatures if s.kind == "signature"]
        assert report.ok and signature.field == "party"
        subjects[code] = signature.signer
    seal = x509.load_der_x509_certificate(app_components.signer.signer().signing_cert.dump())
    seal_name = seal.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert FINANCE_NAME in subjects[FINANCE] and TAX_NAME in subjects[TAX] and subjects[FINANCE] != subjects[TAX]
    assert seal_name not in subjects.values()  # no document of an agency carries the service's own key


def test_a_application_is_signed_in_turn_through_the_api_with_cards_driven_by_pkcs11(real_client, app_components):
    catalog, cards = app_components.catalog, app_components.demo_pki.cards
    base = app_components.demo_pki.url
    catalog.set_agency_profile(FINANCE, {"name": FINANCE_NAME, "signature_blocks": [
        "annex1-interface:officer", "annex1-interface:supervisor"]}, by="test", now=app_components.clock.now())
    signers = {}
    for username, name in (("api-wang", "王小明"), ("api-lin", "林森華"), ("api-chen", "陳局長")):
        create_user(catalog, username=username, password="correct horse battery", agency=FINANCE, role="staff",
                    full_name=name)
        card = cards.person_card(username, name, base_url=base)
        people.bind(app_components.signers.store, catalog, LOCAL_OPERATOR, username=username,
                    certificate=card.certificate, now=app_components.clock.now())
        signers[username] = (create_token(catalog, agency=FINANCE, role="staff", username=username), card)
    agency_card = cards.agency_card(FINANCE, FINANCE_NAME, base_url=base)

    def sign(username: str, card, **what):
        headers = {"Authorization": f"Bearer {signers[username][0]}"}
        begun = real_client.post("/api/v1/signing-sessions", headers=headers, json={
            "certificate": base64.b64encode(card.certificate).decode(), **what})
        assert begun.status_code == 201, begun.json
        raw = sign_in_own_process(card, cards.pin(card), base64.b64decode(begun.json["to_be_signed"]))
        return real_client.post(begun.json["links"]["signature"], headers=headers,
                                json={"signature": base64.b64encode(raw).decode()})

    first = sign("api-wang", signers["api-wang"][1], form="annex1-interface", input=load_example("annex1-interface"))
    assert first.status_code == 201 and first.json["signing"]["next"] == "supervisor", first.json
    record_id = first.json["record_id"]

    # 單位主管's card revoked after she began: refused at completion, and nothing is kept.
    headers = {"Authorization": f"Bearer {signers['api-lin'][0]}"}
    card = signers["api-lin"][1]
    begun = real_client.post("/api/v1/signing-sessions", headers=headers, json={
        "certificate": base64.b64encode(card.certificate).decode(), "record": record_id})
    assert begun.status_code == 201, begun.json
    raw = sign_in_own_process(card, cards.pin(card), base64.b64decode(begun.json["to_be_signed"]))
    cards.revoke("person", "api-lin")
    refused = real_client.post(begun.json["links"]["signature"], headers=headers,
                               json={"signature": base64.b64encode(raw).decode()})
    assert refused.status_code == 422 and "廢止" in refused.json["error"]["message"], refused.json
    assert [v.number for v in catalog.get_record(record_id).versions] == [1]

    # Her new card, bound by an administrator, signs; then the agency with its own card.
    cards.refresh(base)  # (the demo PKI serves the CRL the new card names)
    renewed = cards.person_card("api-lin-2", "林森華", base_url=base)
    people.bind(app_components.signers.store, catalog, LOCAL_OPERATOR, username="api-lin",
                certificate=renewed.certificate, now=app_components.clock.now())
    second = sign("api-lin", renewed, record=record_id)
    assert second.status_code == 201 and second.json["signing"]["next"] == "head", second.json
    third = sign("api-chen", agency_card, record=record_id)
    assert third.status_code == 201 and third.json["signing"]["next"] is None, third.json

    report = verify_pdf(_pdf(app_components, record_id), app_components.trust_roots, revocation_mode="hard-fail")
    assert report.ok, report.as_dict()
    signatures = [s for s in report.signatures if s.kind == "signature"]
    assert [s.field for s in signatures] == ["officer", "supervisor", "head"]
    assert "王小明" in signatures[0].signer and "林森華" in signatures[1].signer
    assert FINANCE_NAME in signatures[2].signer
