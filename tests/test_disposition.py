"""Disposition: past retention and not on hold → requested, approved by someone else, deleted,
with a tombstone and a signed certificate of destruction archived.

Retention runs out by moving the test's clock (the archive's and the memory store's); no waiting.
The real store's part — refusing to delete a locked version — is covered on SeaweedFS below.
"""

from __future__ import annotations

import pytest

from forms_service.access import LOCAL_OPERATOR, Actor, Role
from forms_service.archive.holds import set_legal_hold
from forms_service.errors import Conflict, Forbidden
from signing import verify_pdf
from storage import ObjectNotFound
from tests.conftest import load_example, signed_form

ALICE = Actor("admin:alice", "", Role.ADMIN)
BOB = Actor("admin:bob", "", Role.ADMIN)


@pytest.fixture
def expired(fake_components, clock):
    """A 附件4 record whose retention (a year at least) has run out on the test's clock."""
    produced = signed_form(fake_components, "annex4-audit-checklist", load_example("annex4-audit-checklist"))
    stored = fake_components.archive.submit(produced, LOCAL_OPERATOR)
    record = fake_components.catalog.get_record(stored.record_id)
    clock.at = max(v.retain_until for v in record.versions if v.retain_until)
    clock.advance(days=1)
    return record


def test_a_record_past_retention_is_listed_and_disposed_of_by_two_people(fake_components, expired):
    disposition = fake_components.disposition
    assert [r.id for r in disposition.due()] == [expired.id]
    disposition.request(expired.id, ALICE, reason="保存期限屆滿")
    with pytest.raises(Forbidden, match="須為申請者以外的人"):
        disposition.approve(expired.id, ALICE)
    tombstone = disposition.approve(expired.id, BOB)

    version = expired.versions[0]
    with pytest.raises(ObjectNotFound):
        fake_components.store.get(version.object_key, version.object_version)
    assert tombstone.approved_by == BOB.id and tombstone.versions[0]["sha256"] == version.sha256
    record = fake_components.catalog.get_record(expired.id)
    assert record.status == "disposed" and record.versions == ()
    certificate = fake_components.store.get(tombstone.certificate_key, tombstone.certificate_version)
    assert verify_pdf(certificate, fake_components.trust_roots).ok
    actions = [e.action for e in reversed(fake_components.catalog.audit_events(record_id=expired.id))]
    assert actions[-2:] == ["record.dispose.request", "record.dispose"]


def test_a_record_on_legal_hold_is_not_due_and_cannot_be_requested(fake_components, expired):
    set_legal_hold(fake_components.store, fake_components.catalog, expired.id, LOCAL_OPERATOR, hold=True,
                   reason="訴訟中")
    assert fake_components.disposition.due() == []
    with pytest.raises(Conflict, match="legal hold"):
        fake_components.disposition.request(expired.id, ALICE, reason="x")


def test_a_record_under_retention_cannot_be_disposed_of(fake_components):
    produced = signed_form(fake_components, "annex3-requirements", load_example("annex3-requirements"))
    stored = fake_components.archive.submit(produced, LOCAL_OPERATOR)
    assert fake_components.disposition.due() == []
    with pytest.raises(Conflict, match="retention"):
        fake_components.disposition.request(stored.record_id, ALICE, reason="x")


def test_only_administrators_request_and_with_a_reason(fake_components, expired):
    clerk = Actor("user:carol", "379000000A", Role.CLERK)
    with pytest.raises(Forbidden):
        fake_components.disposition.request(expired.id, clerk, reason="x")
    from forms_service.errors import InputError

    with pytest.raises(InputError, match="reason"):
        fake_components.disposition.request(expired.id, ALICE, reason="  ")


def test_a_store_that_still_locks_a_version_stops_the_disposal_before_anything_is_deleted(fake_components, expired,
                                                                                          memory_store, clock):
    disposition = fake_components.disposition
    disposition.request(expired.id, ALICE, reason="保存期限屆滿")
    version = expired.versions[0]
    memory_store.set_legal_hold(version.entry_object_key, version.entry_object_version, True)  # held in the store only
    with pytest.raises(Conflict, match="still locked"):
        disposition.approve(expired.id, BOB)
    assert memory_store.get(version.object_key, version.object_version)  # nothing deleted
    assert fake_components.catalog.get_record(expired.id).status == "disposal-requested"


def test_the_real_store_refuses_to_delete_a_version_under_retention(app_components):
    """The store enforces what the catalog says: a disposal against a version still locked in
    SeaweedFS fails and deletes nothing, even if the catalog were wrong about its date."""
    stored = app_components.archive.submit(
        signed_form(app_components, "annex3-requirements", load_example("annex3-requirements")), LOCAL_OPERATOR)
    with pytest.raises(Conflict, match="retention"):
        app_components.disposition.request(stored.record_id, ALICE, reason="x")
    from storage import ObjectLocked

    with pytest.raises(ObjectLocked):
        app_components.store.delete(stored.object_key, stored.object_version)
    assert app_components.store.get(stored.object_key, stored.object_version)


def test_the_certificate_of_destruction_is_converted_by_libreoffice_and_signed_at_the_service_level(
        app_components, memory_store, clock):
    """The real converter and the demo PKI's B-LTA signature on the certificate; the versions live
    in the memory store so that their retention can run out on the test's clock."""
    archived = app_components.sharing(store=memory_store, clock=clock)
    produced = signed_form(archived, "annex4-audit-checklist", load_example("annex4-audit-checklist"))
    stored = archived.archive.submit(produced, LOCAL_OPERATOR)
    clock.advance(days=3 * 366)
    archived.disposition.request(stored.record_id, ALICE, reason="保存期限屆滿")
    tombstone = archived.disposition.approve(stored.record_id, BOB)
    certificate = memory_store.get(tombstone.certificate_key, tombstone.certificate_version)
    verification = verify_pdf(certificate, archived.trust_roots)
    assert verification.ok and verification.signatures[0].level == "B-LTA"
