"""Disposition: past retention and not on hold → requested, approved by someone else, deleted,
with a tombstone and a signed certificate of destruction archived."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from forms_service import disposition
from forms_service.errors import Conflict, Forbidden
from forms_service.pipeline import Archive
from forms_service.records import set_legal_hold
from forms_service.tokens import LOCAL_OPERATOR, Actor
from signing import verify_pdf
from storage import ObjectNotFound
from tests.conftest import load_example

ALICE = Actor("admin:alice", "", "admin")
BOB = Actor("admin:bob", "", "admin")


@pytest.fixture
def expired(app_components, monkeypatch):
    """A record stored with a retention of a few seconds, then waited out."""
    monkeypatch.setattr(Archive, "retain_until",
                        lambda self, spec, form, now: datetime.now(timezone.utc) + timedelta(seconds=3))
    produced = app_components.producer.produce("annex4-audit-checklist", load_example("annex4-audit-checklist"))
    stored = app_components.archive.submit(produced, LOCAL_OPERATOR)
    time.sleep(4)
    return app_components.catalog.get_record(stored.record_id)


def test_a_record_past_retention_is_listed_and_disposed_of_by_two_people(app_components, expired):
    assert [r.id for r in disposition.due(app_components)] == [expired.id]
    disposition.request(app_components, expired.id, ALICE, reason="保存期限屆滿")
    with pytest.raises(Forbidden, match="other than the requester"):
        disposition.approve(app_components, expired.id, ALICE)
    tombstone = disposition.approve(app_components, expired.id, BOB)

    version = expired.versions[0]
    with pytest.raises(ObjectNotFound):
        app_components.store.get(version.object_key, version.object_version)
    assert tombstone.approved_by == BOB.id and tombstone.versions[0]["sha256"] == version.sha256
    record = app_components.catalog.get_record(expired.id)
    assert record.status == "disposed" and record.versions == []
    certificate = app_components.store.get(tombstone.certificate_key, tombstone.certificate_version)
    assert verify_pdf(certificate, app_components.trust_roots).ok
    actions = [e.action for e in reversed(app_components.catalog.audit_events(record_id=expired.id))]
    assert actions[-2:] == ["record.dispose.request", "record.dispose"]


def test_a_record_on_legal_hold_is_not_due_and_cannot_be_requested(app_components, expired):
    set_legal_hold(app_components, expired.id, LOCAL_OPERATOR, hold=True, reason="訴訟中")
    assert disposition.due(app_components) == []
    with pytest.raises(Conflict, match="legal hold"):
        disposition.request(app_components, expired.id, ALICE, reason="x")


def test_a_record_under_retention_cannot_be_disposed_of(app_components):
    produced = app_components.producer.produce("annex3-requirements", load_example("annex3-requirements"))
    stored = app_components.archive.submit(produced, LOCAL_OPERATOR)
    assert disposition.due(app_components) == []
    with pytest.raises(Conflict, match="retention"):
        disposition.request(app_components, stored.record_id, ALICE, reason="x")
