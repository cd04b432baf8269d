"""Agencies are identified by 機關代碼 only (security review, finding 1).

A name is free text: a form that gave another agency's code and the caller's code as its *name*
was filed into that agency's archive; a token made for a name read whatever was filed under it.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone

import pytest
from alembic import command

from forms_service.access.tokens import create_token, hash_token
from forms_service.access.users import create_user
from forms_service.catalog import NewAuditEvent, RecordFilter
from forms_service.db.migrate import _config
from forms_service.errors import InputError
from forms_service.repositories import SqlCatalog
from tests.conftest import load_example, signed_form

TAIPEI_FINANCE, TAIPEI_TAX, TAICHUNG = "379000000A", "379010000A", "387000000A"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_form_naming_the_callers_code_as_its_name_is_not_filed_for_another_agency(client, catalog):
    staff = create_token(catalog, agency=TAIPEI_FINANCE, role="staff")
    forged = load_example("annex2-agreement")
    forged["party"] = {"name": TAIPEI_FINANCE, "code": "379100000G"}
    response = client.post("/api/v1/forms/annex2-agreement/records", json=forged, headers=auth(staff))
    assert response.status_code == 403
    assert response.json["error"]["errors"][0]["path"] == "party.code"
    assert catalog.find_records(RecordFilter()) == []


def test_a_form_without_the_owners_code_cannot_be_filed_by_staff(client, catalog):
    staff = create_token(catalog, agency=TAIPEI_FINANCE, role="staff")
    nameless = load_example("annex2-agreement")
    nameless["party"] = {"name": "臺北市政府財政局"}
    response = client.post("/api/v1/forms/annex2-agreement/records", json=nameless, headers=auth(staff))
    assert response.status_code == 403 and response.json["error"]["errors"][0]["path"] == "party.code"


@pytest.mark.parametrize("role", ["clerk", "auditor"])
def test_roles_that_only_read_cannot_file(client, catalog, role):
    reader = create_token(catalog, agency=TAIPEI_FINANCE, role=role)
    response = client.post("/api/v1/forms/annex2-agreement/records", json=load_example("annex2-agreement"),
                           headers=auth(reader))
    assert response.status_code == 403 and "只能查閱紀錄，不能填送表單" in response.json["error"]["message"]


def test_an_administrator_files_for_any_agency(client, catalog):
    admin = create_token(catalog, agency=TAICHUNG, role="admin")
    response = client.post("/api/v1/forms/annex2-agreement/records", json=load_example("annex2-agreement"),
                           headers=auth(admin))
    assert response.status_code == 201


@pytest.mark.parametrize("agency", ["臺北市政府財政局", "DEMO", "379000000", "3790000001A", ""])
def test_tokens_and_users_are_made_for_an_agency_code_only(catalog, agency):
    with pytest.raises(InputError, match="機關代碼"):
        create_token(catalog, agency=agency, role="clerk")
    with pytest.raises(InputError, match="機關代碼"):
        create_user(catalog, username="alice", password="correct horse battery", agency=agency, role="clerk")


@pytest.mark.parametrize("typed", ["379000000a", "３７９００００００Ａ", " 379000000A "])
def test_a_code_as_people_type_it_is_kept_in_its_normal_form(catalog, typed):
    create_token(catalog, agency=typed, role="clerk")
    create_user(catalog, username="alice", password="correct horse battery", agency=typed, role="clerk")
    assert catalog.tokens()[0].agency == catalog.user("alice").agency == "379000000A"


def test_the_command_refuses_a_token_for_a_name(runner):
    result = runner("tokens", "create", "--agency", "臺北市政府財政局", "--role", "clerk")
    assert result.exit_code == 2 and "機關代碼" in result.stderr


def test_scopes_match_the_code_never_the_name(fake_components):
    """A record whose *name* is another agency's code stays that agency's own."""
    stored = fake_components.archive.submit(
        signed_form(fake_components, "annex2-agreement", _with_party(TAIPEI_TAX, TAIPEI_FINANCE)),
        _admin())
    catalog = fake_components.catalog
    assert catalog.get_record(stored.record_id, agency=TAIPEI_TAX) is None
    assert catalog.get_record(stored.record_id, agency=TAIPEI_FINANCE) is not None
    assert catalog.find_records(RecordFilter(agency=TAIPEI_TAX)) == []


def _with_party(name: str, code: str) -> dict:
    data = load_example("annex2-agreement")
    data["party"] = {"name": name, "code": code}
    return data


def _admin():
    from forms_service.access import LOCAL_OPERATOR

    return LOCAL_OPERATOR


def test_tokens_and_users_made_for_names_before_are_moved_to_codes_or_revoked(tmp_path):
    """The migration: a name that the catalog's records tie to one code becomes that code; any
    other is not an agency the service can scope to — its tokens are revoked, its users locked."""
    path = tmp_path / "catalog.sqlite3"
    catalog = SqlCatalog(f"sqlite:///{path}")
    with catalog.engine.begin() as connection:
        command.upgrade(_config(connection), "0007")
    now = "2026-11-01 00:00:00.000000"
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO records (id, form_id, agency_name, agency_code, user_unit_name, title, status, input,"
                   " created_at, created_by) VALUES ('rec_1', 'annex2-agreement', '臺北市政府財政局', ?, '', 't',"
                   " 'active', '{}', ?, 'x')", (TAIPEI_FINANCE, now))
        for agency, label in (("臺北市政府財政局", "by-name"), ("臺中市政府", "unknown-name"),
                              (TAICHUNG, "by-code")):
            db.execute("INSERT INTO api_tokens (token_hash, prefix, agency, role, label, allowed_networks, created_at)"
                       " VALUES (?, 'fst_x', ?, 'clerk', ?, '', ?)", (hash_token(label), agency, label, now))
        for username, agency in (("alice", "臺北市政府財政局"), ("bob", "臺中市政府")):
            db.execute("INSERT INTO users (username, password_hash, agency, role, failed_logins, created_at)"
                       " VALUES (?, 'scrypt$x$y', ?, 'clerk', 0, ?)", (username, agency, now))
    catalog.create_schema()  # to the newest revision, as the service does at start-up
    today = datetime.now(timezone.utc)
    assert catalog.token_by_hash(hash_token("by-name"), now=today).agency == TAIPEI_FINANCE
    assert catalog.token_by_hash(hash_token("unknown-name"), now=today) is None  # revoked
    assert catalog.token_by_hash(hash_token("by-code"), now=today).agency == TAICHUNG
    assert catalog.user("alice").agency == TAIPEI_FINANCE and catalog.user("alice").locked_until is None
    assert catalog.user("bob").locked_until is not None and catalog.user("bob").locked_until.year == 9999
    catalog.audit(NewAuditEvent(actor="x", action="check"))  # the migrated catalog still works
    catalog.close()
