"""Sessions and tokens can be ended (security review, findings 7 and 8).

A saved cookie used to work after sign-out, and a locked or demoted person kept their session;
tokens never expired and could not be revoked.  Unknown and known names answered differently.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta

import pytest

from forms_service.access import users
from forms_service.access.tokens import create_token
from forms_service.access.users import LOCK_AFTER, create_user

PASSWORD = "correct horse battery"


def csrf(client, path="/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).data.decode())[1]


def sign_in(client, username="alice", password=PASSWORD, address="127.0.0.1"):
    token = csrf(client)
    return client.post("/login", data={"csrf": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


@pytest.fixture
def alice(catalog):
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")


def saved_cookie(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_saved_before_sign_out_no_longer_works(client, app, alice):
    assert sign_in(client).status_code == 302
    saved = saved_cookie(client)
    assert client.post("/logout", data={"csrf": csrf(client, "/records")}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/records").status_code == 302  # back to the sign-in page


@pytest.mark.parametrize("change", [
    lambda catalog: users.set_role(catalog, "alice", "auditor"),
    lambda catalog: users.set_password(catalog, "alice", "another long password"),
], ids=["role changed", "password changed"])
def test_a_change_of_role_or_password_ends_the_sessions(client, catalog, alice, change):
    assert sign_in(client).status_code == 302
    assert client.get("/records").status_code == 200
    change(catalog)
    assert client.get("/records").status_code == 302


def test_many_wrong_passwords_lock_the_account_end_its_sessions_and_only_the_right_password_learns_it(
        app, client, catalog, alice):
    assert sign_in(client).status_code == 302
    guesser = app.test_client()
    for attempt in range(LOCK_AFTER):  # from many addresses, under each address's own brake
        address = f"10.9.{attempt // 4}.{attempt % 4}"
        assert sign_in(guesser, password="wrong password!!", address=address).status_code == 401
    assert client.get("/records").status_code == 302  # her open session ended with the lock
    wrong = sign_in(app.test_client(), password="wrong password!!", address="10.8.0.1")
    unknown = sign_in(app.test_client(), username="mallory", password="wrong password!!", address="10.8.0.2")
    assert wrong.data.decode().count("帳號或密碼錯誤") == unknown.data.decode().count("帳號或密碼錯誤") == 1
    right = sign_in(app.test_client(), address="10.8.0.3")
    assert right.status_code == 401 and "鎖定" in right.data.decode()
    users.unlock(catalog, "alice")
    assert sign_in(app.test_client(), address="10.8.0.4").status_code == 302


def test_an_unknown_name_costs_the_same_password_work_as_a_known_one(monkeypatch, catalog, alice, clock):
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(k["n"]) or real(*a, **k))
    for name in ("alice", "mallory"):
        with pytest.raises(users.Unauthorized, match="帳號或密碼錯誤"):
            users.sign_in(catalog, name, "wrong password!!", now=clock.now())
    assert len(calls) == 2 and calls[0] == calls[1]  # one scrypt each, at the same cost


@pytest.mark.real_password_cost
def test_a_hash_names_its_scrypt_cost_so_hashes_of_another_cost_still_check(catalog, clock, monkeypatch):
    create_user(catalog, username="bob", password=PASSWORD, agency="379000000A", role="clerk")
    assert catalog.user("bob").password_hash.startswith("scrypt:14$")  # the service's cost
    assert users.sign_in(catalog, "bob", PASSWORD, now=clock.now()).id == "user:bob"
    monkeypatch.setattr(users, "SCRYPT_COST", 12)
    cheaper = users.hash_password(PASSWORD)
    monkeypatch.undo()
    assert cheaper.startswith("scrypt:12$") and users.check_password(PASSWORD, cheaper)
    # a hash from before costs were named was made at 2**14
    salt = bytes(range(16))
    digest = hashlib.scrypt(PASSWORD.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    unnamed = f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    assert users.check_password(PASSWORD, unnamed) and not users.check_password("another password", unnamed)
    # a damaged cost is refused, not worked through
    assert not users.check_password(PASSWORD, unnamed.replace("scrypt$", "scrypt:40$", 1))


def test_a_session_ends_when_idle_too_long_and_after_its_hours(client, alice, clock, fake_components):
    policy = fake_components.session_policy
    assert sign_in(client).status_code == 302
    clock.advance(minutes=policy.idle_minutes - 1)
    assert client.get("/records").status_code == 200
    clock.advance(minutes=policy.idle_minutes + 1)
    assert client.get("/records").status_code == 302  # idle
    assert sign_in(client).status_code == 302
    for _ in range(int(policy.hours * 60 / (policy.idle_minutes / 2)) + 1):  # used, but for too long
        clock.advance(minutes=policy.idle_minutes / 2)
        last = client.get("/records").status_code
    assert last == 302


def test_a_revoked_token_stops_working_at_once(client, catalog, runner, fake_components):
    token = create_token(catalog, agency="379000000A", role="clerk", label="reporting")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/records", headers=headers).status_code == 200
    [made] = catalog.tokens()
    from forms_service.access.tokens import revoke

    revoke(catalog, made.prefix)
    assert client.get("/api/v1/records", headers=headers).status_code == 401


def test_a_token_expires(client, catalog, clock):
    token = create_token(catalog, agency="379000000A", role="clerk", expires_at=clock.now() + timedelta(days=1))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/records", headers=headers).status_code == 200
    clock.advance(days=2)
    response = client.get("/api/v1/records", headers=headers)
    assert response.status_code == 401 and "expired" in response.json["error"]["message"]


def test_the_commands_list_and_revoke_tokens_and_manage_users(runner):
    made = runner("tokens", "create", "--agency", "379000000A", "--role", "clerk", "--label", "nightly", "--days", "30")
    assert made.exit_code == 0 and "valid until" in made.stderr
    listed = runner("tokens", "list")
    assert "nightly" in listed.stdout and "valid until" in listed.stdout
    prefix = made.stdout.strip()[:10]
    assert runner("tokens", "revoke", prefix).exit_code == 0
    assert "revoked" in runner("tokens", "list").stdout
    assert runner("tokens", "revoke", prefix).exit_code == 1  # no live token by that name any more
    runner("users", "create", "--username", "bob", "--agency", "379000000A", "--password", PASSWORD)
    assert runner("users", "role", "bob", "--role", "auditor").exit_code == 0
    assert runner("users", "password", "bob", "--password", "yet another password").exit_code == 0
    assert runner("users", "unlock", "bob").exit_code == 0
    assert "bob" in runner("users", "list").stdout and "auditor" in runner("users", "list").stdout
    assert runner("users", "role", "nobody", "--role", "clerk").exit_code == 1


def test_the_command_locks_and_unlocks_a_person(runner):
    from forms_service.access.users import create_user
    from forms_service.components import open_catalog
    from forms_service.settings import Settings

    catalog = open_catalog(Settings.load(environ={}, data_dir=runner.data_dir))
    create_user(catalog, username="carl", password="correct horse battery", agency="379000000A", role="clerk")
    assert runner("users", "lock", "carl").exit_code == 0
    assert catalog.user("carl").locked_until.year == 9999
    assert runner("users", "unlock", "carl").exit_code == 0
    assert catalog.user("carl").locked_until is None
    unknown = runner("users", "lock", "nobody")
    assert unknown.exit_code == 1 and "no user 'nobody'" in unknown.output  # as `users unlock` answers
    catalog.close()
