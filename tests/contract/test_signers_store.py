"""The signers' repository contract, on SQLite and PostgreSQL: keys per party kept with their
audit entries and retired (never deleted); people's certificates bound once to one account."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from forms_service.catalog import NewAuditEvent
from forms_service.signers.store import SqlSigners
from forms_service.signers.values import PersonCertificate, SignerKey


def now() -> datetime:
    return datetime.now(timezone.utc)


def key(key_id: str, *, party: str = "agency", agency: str = "379010000A", at: datetime | None = None) -> SignerKey:
    return SignerKey(id=key_id, party=party, agency=agency, label="GCA 卡（伺服器讀卡機）", kind="pkcs11",
                     module="/usr/lib/x.so", token_label="HiCOS", key_label="sig", path="",
                     secret_source="env:AGENCY_PIN", certificate=b"\x30\x82", fingerprint=key_id[-1] * 64,
                     subject="CN=臺北市稅捐稽徵處", not_after=now() + timedelta(days=700), state="active",
                     registered_at=at or now(), registered_by="user:ada")


def event(action: str) -> NewAuditEvent:
    return NewAuditEvent(actor="user:ada", action=action)


@pytest.fixture
def signers(any_catalog) -> SqlSigners:
    return SqlSigners(any_catalog.db)


def test_keys_are_found_by_party_and_agency_newest_first_and_retired_not_deleted(signers, any_catalog):
    signers.add_key(key("key_a", at=now() - timedelta(days=2)), event("signer.register"))
    signers.add_key(key("key_b"), event("signer.register"))
    signers.add_key(key("key_c", party="provider", agency=""), event("signer.register"))
    assert [k.id for k in signers.keys(party="agency", agency="379010000A")] == ["key_b", "key_a"]
    assert [k.id for k in signers.keys(party="provider")] == ["key_c"]
    assert signers.key("key_a").subject == "CN=臺北市稅捐稽徵處" and signers.key("key_a").certificate == b"\x30\x82"
    assert signers.retire_key("key_b", by="user:ada", at=now(), event=event("signer.retire"))
    assert not signers.retire_key("key_b", by="user:ada", at=now(), event=event("signer.retire"))
    assert [k.id for k in signers.keys(party="agency", active_only=True)] == ["key_a"]
    retired = signers.key("key_b")
    assert retired.state == "retired" and retired.retired_by == "user:ada" and retired.retired_at.tzinfo
    assert [e.action for e in any_catalog.audit_events()] == ["signer.retire"] + ["signer.register"] * 3
    assert any_catalog.verify_audit_chain()[1] == ""


def test_a_certificate_is_bound_to_one_account_and_decided_on(signers, any_catalog):
    certificate = PersonCertificate(fingerprint="f" * 64, username="wang", certificate=b"\x30", subject="CN=王小明",
                                    state="pending", registered_at=now(), registered_by="user:wang")
    assert signers.add_person_certificate(certificate, event("person-certificate.add"))
    assert not signers.add_person_certificate(
        PersonCertificate(**{**certificate.__dict__, "username": "lee"}), event("person-certificate.add"))
    assert [c.username for c in signers.person_certificates()] == ["wang"]
    assert signers.decide_person_certificate("f" * 64, state="approved", by="user:ada", at=now(),
                                             event=event("person-certificate.approve"))
    found = signers.person_certificate("f" * 64)
    assert (found.state, found.decided_by) == ("approved", "user:ada")
    assert signers.person_certificates(username="lee") == []
