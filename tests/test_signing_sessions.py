"""Signing with a card in two steps through the API: each block of a 附件1 signed in turn by its own
signer — 承辦人 and 單位主管 with their own cards, then 機關首長（或授權人） with the agency's
機關憑證 — and refusals that keep nothing.  Fast: the fakes, and software keys standing in for the
cards (``tests/agency_keys.py``); the same through SoftHSM2 cards is ``test_cards_end_to_end.py``."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from forms_service.access.roles import LOCAL_OPERATOR
from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.signers import people
from signing import verify_pdf
from tests.agency_keys import agency_certificate, agency_private_key, card_signature, software_person
from tests.conftest import load_example

AGENCY, NAME = "379000000A", "臺北市政府財政局"


@pytest.fixture
def office(fake_components, catalog, demo_keys):
    """The agency's people, their own tokens and cards (bound by an administrator), and its choice
    that 承辦人 and 單位主管 sign 附件1 before the agency."""
    catalog.set_agency_profile(AGENCY, {"name": NAME, "signature_blocks": [
        "annex1-interface:officer", "annex1-interface:supervisor"]}, by="test", now=fake_components.clock.now())
    found = {}
    for username, name in (("wang", "王小明"), ("lin", "林森華"), ("chen", "陳局長")):
        create_user(catalog, username=username, password="correct horse battery", agency=AGENCY, role="staff",
                    full_name=name)
        key, certificate = software_person(demo_keys.directory, username, name)
        people.bind(fake_components.signers.store, catalog, LOCAL_OPERATOR, username=username,
                    certificate=certificate, now=fake_components.clock.now())
        found[username] = {"token": create_token(catalog, agency=AGENCY, role="staff", username=username),
                           "key": key, "certificate": certificate}
    return found


def _headers(person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person['token']}"}


def _begin(client, person, certificate: bytes, **what):
    return client.post("/api/v1/signing-sessions", headers=_headers(person),
                       json={"certificate": base64.b64encode(certificate).decode(), **what})


def _sign(client, person, started, key, *, tamper: bool = False):
    tbs = base64.b64decode(started["to_be_signed"])
    signature = card_signature(key, tbs + (b"!" if tamper else b""))
    return client.post(started["links"]["signature"], headers=_headers(person),
                       json={"signature": base64.b64encode(signature).decode()})


def test_three_signers_sign_a_annex1_in_turn_each_in_his_block(client, fake_components, office, agency_keys,
                                                               described):
    wang, lin, chen = office["wang"], office["lin"], office["chen"]
    data = load_example("annex1-interface")
    # Filed through the API, it waits as a draft for its first signer: 承辦人 with his own card.
    waiting = client.post("/api/v1/forms/annex1-interface/records", headers=_headers(wang), json=data)
    assert waiting.status_code == 202, waiting.json
    assert waiting.json["signing"] == {"order": ["officer", "supervisor", "head"], "signed": [], "next": "officer"}
    draft_id = waiting.json["draft_id"]
    assert fake_components.catalog.draft(draft_id).awaiting == "officer"

    begun = _begin(client, wang, wang["certificate"], draft=draft_id)
    assert begun.status_code == 201, begun.json
    assert begun.json["block"] == "officer" and begun.json["hash_algorithm"] == "SHA256"
    described.check("post", "/signing-sessions", begun)
    filed = _sign(client, wang, begun.json, wang["key"])
    assert filed.status_code == 201, filed.json
    described.check("post", begun.json["links"]["signature"], filed)
    record_id = filed.json["record_id"]
    assert filed.json["signing"] == {"order": ["officer", "supervisor", "head"], "signed": ["officer"],
                                     "next": "supervisor"}
    assert fake_components.catalog.draft(draft_id) is None  # filed: the draft has done its work

    # 承辦人 cannot sign 單位主管's block; 單位主管 signs the record's next version.
    assert _begin(client, wang, wang["certificate"], record=record_id, block="head").status_code == 400
    second = _begin(client, lin, lin["certificate"], record=record_id)
    assert second.status_code == 201 and second.json["block"] == "supervisor"
    signed = _sign(client, lin, second.json, lin["key"])
    assert signed.status_code == 201 and signed.json["version"] == 2
    assert signed.json["signing"]["next"] == "head"

    # The head's block: the agency's 機關憑證 (its card), not a person's.
    own_card = _begin(client, chen, chen["certificate"], record=record_id)
    assert own_card.status_code == 422 and own_card.json["error"]["field"] == "certificate"
    issued = agency_keys(AGENCY, NAME)
    third = _begin(client, chen, agency_certificate(issued), record=record_id)
    assert third.status_code == 201 and third.json["block"] == "head", third.json
    done = _sign(client, chen, third.json, agency_private_key(issued))
    assert done.status_code == 201 and done.json["signing"]["next"] is None and done.json["version"] == 3

    record = fake_components.catalog.get_record(record_id)
    pdf = fake_components.archive.read(record.latest, actor=LOCAL_OPERATOR)
    report = verify_pdf(pdf, fake_components.trust_roots)
    assert report.ok, report.as_dict()
    signatures = [s for s in report.signatures if s.kind == "signature"]
    assert [s.field for s in signatures] == ["officer", "supervisor", "head"]
    assert ["王小明" in signatures[0].signer, "林森華" in signatures[1].signer, NAME in signatures[2].signer] == [
        True, True, True]
    # Verification names each signer and his block; so does the record's page.
    verified = client.get(f"/api/v1/records/{record_id}/verification", headers=_headers(chen)).json
    assert [s["block"] for s in verified["signatures"] if s["kind"] == "signature"] == [
        "承辦人", "單位主管", "機關首長（或授權人）"]
    text = client.get(f"/api/v1/records/{record_id}/verification?format=text", headers=_headers(chen)).data.decode()
    assert "signature officer (承辦人): ok" in text
    from tests.test_web_pages import sign_in

    sign_in(client, "chen")
    page = client.get(f"/records/{record_id}").data.decode()
    assert "承辦人：王小明" in page and "單位主管：林森華" in page and f"機關首長（或授權人）：{NAME}" in page


def test_refusals_keep_nothing(client, fake_components, office, demo_keys, agency_keys):
    wang, lin = office["wang"], office["lin"]
    data = load_example("annex1-interface")
    records_before = fake_components.catalog.latest_versions()

    # another person's card: bound to lin, not to wang
    other = _begin(client, wang, lin["certificate"], form="annex1-interface", input=data)
    assert other.status_code == 403 and "不是您的" in other.json["error"]["message"]

    # a card met for the first time is kept pending, and signs nothing until approved
    _, unknown = software_person(demo_keys.directory, "wang-second-card", "王小明")
    pending = _begin(client, wang, unknown, form="annex1-interface", input=data)
    assert pending.status_code == 403 and "核准" in pending.json["error"]["message"]

    # a signature over other bytes
    begun = _begin(client, wang, wang["certificate"], form="annex1-interface", input=data).json
    mismatch = _sign(client, wang, begun, wang["key"], tamper=True)
    assert mismatch.status_code == 422 and mismatch.json["error"]["field"] == "signature"
    again = _sign(client, wang, begun, wang["key"])  # the session ended with the refusal
    assert again.status_code == 410

    # someone else completing my session
    begun = _begin(client, wang, wang["certificate"], form="annex1-interface", input=data).json
    assert _sign(client, lin, begun, lin["key"]).status_code == 403

    # an expired session
    fake_components.clock.advance(minutes=16)
    expired = _sign(client, wang, begun, wang["key"])
    assert expired.status_code == 410 and "逾時" in expired.json["error"]["message"]

    # another agency's 機關憑證 in an agency's block
    fake_components.catalog.set_agency_profile(AGENCY, {"name": NAME, "signature_blocks": []}, by="test",
                                               now=fake_components.clock.now())
    foreign = agency_certificate(agency_keys("379010000A", "臺北市稅捐稽徵處"))
    stranger = _begin(client, wang, foreign, form="annex1-interface", input=data)
    assert stranger.status_code == 422 and "379010000A" in stranger.json["error"]["message"]

    assert fake_components.catalog.latest_versions() == records_before  # nothing was filed
    assert fake_components.signing_sessions.store.expired(fake_components.clock.now() + timedelta(days=1)) == []


def test_a_system_token_cannot_sign_for_a_person(client, office, catalog):
    system = create_token(catalog, agency=AGENCY, role="staff", label="business system")
    begun = client.post("/api/v1/signing-sessions", headers={"Authorization": f"Bearer {system}"},
                        json={"certificate": base64.b64encode(office["wang"]["certificate"]).decode(),
                              "form": "annex1-interface", "input": load_example("annex1-interface")})
    assert begun.status_code == 403 and "本人" in begun.json["error"]["message"]


def test_the_next_signer_is_reminded_and_may_return_it_with_a_reason(client, fake_components, office):
    from tests.test_web_pages import csrf, sign_in

    wang, lin = office["wang"], office["lin"]
    waiting = client.post("/api/v1/forms/annex1-interface/records", headers=_headers(wang),
                          json=load_example("annex1-interface")).json
    due = [i for i in client.get("/api/v1/due", headers=_headers(lin)).json["items"] if i["kind"] == "signature"]
    assert [(i["draft_id"], "待「承辦人」簽章後歸檔" in i["title"]) for i in due] == [(waiting["draft_id"], True)]
    begun = _begin(client, wang, wang["certificate"], draft=waiting["draft_id"]).json
    record_id = _sign(client, wang, begun, wang["key"]).json["record_id"]
    due = [i for i in client.get("/api/v1/due", headers=_headers(lin)).json["items"] if i["kind"] == "signature"]
    assert [(i["record_id"], "待「單位主管」簽章" in i["title"]) for i in due] == [(record_id, True)]
    items = fake_components.due_items(agency=AGENCY)
    assert {"wang", "lin", "chen"} <= set(next(i for i in items if i.kind == "signature").remind)

    sign_in(client, "lin")
    page = client.get(f"/records/{record_id}").data.decode()
    assert "待簽" in page and "前往簽章頁" in page
    empty = client.post(f"/records/{record_id}/return", data={"csrf": csrf(client, "/forms"), "reason": " "})
    assert empty.status_code == 400 and "退回理由" in empty.data.decode()
    returned = client.post(f"/records/{record_id}/return", data={"csrf": csrf(client, "/forms"),
                                                                  "reason": "使用期限與公文不符，請更正"})
    assert returned.status_code == 303
    page = client.get(f"/records/{record_id}").data.decode()
    assert "「單位主管」已退回" in page and "使用期限與公文不符，請更正" in page
    assert [i for i in fake_components.due_items(agency=AGENCY) if i.kind == "signature"] == []
    again = _begin(client, lin, lin["certificate"], record=record_id)
    assert again.status_code == 400 and "退回" in again.json["error"]["message"]


def test_an_administrator_registers_an_agencys_key_and_approves_a_persons_card(client, fake_components, catalog,
                                                                             demo_keys, agency_keys):
    from tests.agency_keys import PASSWORD, software_person
    from tests.test_web_pages import csrf, sign_in

    create_user(catalog, username="ada", password="correct horse battery", agency="000000000D", role="admin")
    create_user(catalog, username="mei", password="correct horse battery", agency=AGENCY, role="staff")
    sign_in(client, "ada")
    token = csrf(client, "/admin/signers")
    issued = agency_keys("379010000A", "臺北市稅捐稽徵處")
    secret = fake_components.settings.data_dir / "p12-secret"
    secret.parent.mkdir(parents=True, exist_ok=True)
    secret.write_bytes(PASSWORD)
    key = {"party": "agency", "kind": "pkcs12", "path": issued["path"], "secret": f"file:{secret}", "csrf": token,
           "action": "register"}
    wrong = client.post("/admin/signers", data={**key, "agency": AGENCY, "agency_name": NAME})
    assert wrong.status_code == 400 and "不屬於該機關" in wrong.data.decode()  # another agency's certificate
    done = client.post("/admin/signers", data={**key, "agency": "379010000A", "agency_name": "臺北市稅捐稽徵處"})
    assert done.status_code == 200 and "已登錄金鑰" in done.data.decode()
    [registered] = fake_components.signers.store.keys(agency="379010000A")
    assert "臺北市稅捐稽徵處" in registered.subject
    assert any(e.action == "signer.register" for e in catalog.audit_events())

    _, certificate = software_person(demo_keys.directory, "mei", "陳美玲")
    people.met(fake_components.signers.store, "mei", people.load_certificate(certificate),
               now=fake_components.clock.now())
    page = client.get("/admin/signers").data.decode()
    assert "待核准" in page and "mei" in page
    [pending] = fake_components.signers.store.person_certificates(username="mei")
    approved = client.post("/admin/signers", data={"csrf": token, "action": "approve",
                                                   "fingerprint": pending.fingerprint})
    assert approved.status_code == 200 and "已核准" in approved.data.decode()
    assert fake_components.signers.store.person_certificate(pending.fingerprint).state == "approved"
