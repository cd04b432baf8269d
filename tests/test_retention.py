"""Retention schedules, extension (never shortening) and legal holds, on the real store."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from forms_service.access import LOCAL_OPERATOR, Actor
from forms_service.access.tokens import create_token
from forms_service.archive import RetentionPolicy
from forms_service.archive.holds import extend_retention, set_legal_hold
from forms_service.errors import Forbidden, InputError
from forms_service.forms import get_form
from forms_service.settings import Settings
from storage import ObjectLocked
from tests.conftest import load_example, signed_form


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_schedule_keeps_agreements_past_their_period_and_logs_at_least_a_year():
    from datetime import datetime, timezone

    policy = RetentionPolicy("COMPLIANCE", years_after_period=5, years_logs=2)
    now = datetime(2026, 11, 27, tzinfo=timezone.utc)
    agreement = get_form("annex2-agreement")
    form = agreement.validate(load_example("annex2-agreement"))  # 使用期限 ends 2028-12-31
    assert policy.retain_until(agreement, form, now).date() == date(2034, 1, 1)
    log = get_form("annex5-query-log")
    register = log.validate(load_example("annex5-query-log"))  # November 2026
    assert policy.retain_until(log, register, now).date() == date(2028, 12, 1)
    assert policy.for_new_record(log, register, now).mode == "COMPLIANCE"
    later = datetime(2030, 1, 1, tzinfo=timezone.utc)  # never less than a year from storing
    assert policy.retain_until(log, register, later).date() == date(2031, 1, 2)


def test_logs_cannot_be_configured_below_the_regulations_year():
    from forms_service.errors import ConfigError

    with pytest.raises(ConfigError, match="at least 1"):
        Settings.load(environ={"FORMS_RETENTION_YEARS_LOGS": "0"})


def test_production_locks_in_compliance_mode_and_the_demo_in_governance():
    assert Settings.load(environ={}).lock_mode == "GOVERNANCE"
    production = Settings.load(environ={"FORMS_S3_ENDPOINT": "s3.example:443", "FORMS_S3_ACCESS_KEY": "a",
                                        "FORMS_S3_SECRET_KEY": "b"})
    assert production.lock_mode == "COMPLIANCE"


def store_record(components):
    produced = signed_form(components, "annex3-requirements", load_example("annex3-requirements"))
    stored = components.archive.submit(produced, LOCAL_OPERATOR)
    return components.catalog.get_record(stored.record_id)


@pytest.fixture
def stored(any_components):
    return store_record(any_components)


def test_retention_is_extended_on_the_store_and_never_shortened(any_components, stored):
    store, catalog = any_components.store, any_components.catalog
    version = stored.versions[0]
    later = (version.retain_until + timedelta(days=400)).date()
    record = extend_retention(store, catalog, stored.id, LOCAL_OPERATOR, until=later, reason="audit 115-07",
                              default_mode="GOVERNANCE")
    assert record.versions[0].retain_until.date() == later
    info = store.head(version.object_key, version.object_version)
    assert info.retention.until.date() == later
    with pytest.raises(InputError, match="never shortened"):
        extend_retention(store, catalog, stored.id, LOCAL_OPERATOR, until=later - timedelta(days=10), reason="x",
                         default_mode="GOVERNANCE")


def test_a_legal_hold_is_placed_with_a_reason_keeps_the_version_and_is_audited(any_components, stored):
    store, catalog = any_components.store, any_components.catalog
    version = stored.versions[0]
    record = set_legal_hold(store, catalog, stored.id, LOCAL_OPERATOR, hold=True, reason="臺北地院 115 年度訴字第 1 號")
    assert record.versions[0].legal_hold is True
    assert store.head(version.object_key, version.object_version).legal_hold is True
    with pytest.raises(ObjectLocked):
        store.delete(version.object_key, version.object_version)
    set_legal_hold(store, catalog, stored.id, LOCAL_OPERATOR, hold=False, reason="判決確定")
    assert store.head(version.object_key, version.object_version).legal_hold is False
    actions = [(e.action, e.detail.get("reason")) for e in reversed(catalog.audit_events(record_id=stored.id))]
    assert ("record.hold", "臺北地院 115 年度訴字第 1 號") in actions and ("record.release", "判決確定") in actions


def test_only_an_admin_places_a_hold_and_a_reason_is_required(fake_components):
    stored = store_record(fake_components)
    store, catalog = fake_components.store, fake_components.catalog
    with pytest.raises(Forbidden):
        set_legal_hold(store, catalog, stored.id, Actor("t", "379000000A", "clerk"), hold=True, reason="x")
    with pytest.raises(InputError, match="reason"):
        set_legal_hold(store, catalog, stored.id, LOCAL_OPERATOR, hold=True, reason=" ")


def test_the_api_places_a_hold_for_an_admin_and_refuses_a_clerk(client, catalog, fake_components):
    stored = store_record(fake_components)
    admin = create_token(catalog, agency="315000000H", role="admin")
    clerk = create_token(catalog, agency="379000000A", role="clerk")
    assert client.post(f"/api/v1/records/{stored.id}/legal-hold", json={"hold": True, "reason": "x"},
                       headers=auth(clerk)).status_code == 403
    held = client.post(f"/api/v1/records/{stored.id}/legal-hold", json={"hold": True, "reason": "case 1"},
                       headers=auth(admin))
    assert held.status_code == 200 and held.json["versions"][0]["legal_hold"] is True
    bad = client.post(f"/api/v1/records/{stored.id}/retention", json={"until": "115/02/30"}, headers=auth(admin))
    assert bad.status_code == 400 and bad.json["error"]["field"] == "until"
