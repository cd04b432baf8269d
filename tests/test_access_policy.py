"""Transport and abuse: IP allowlists per token and role, the brake on failed authentication,
addresses behind a proxy; purposes and page previews on the clerks' pages."""

from __future__ import annotations

import re

import pytest

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.errors import ConfigError, InputError
from forms_service.settings import Settings
from forms_service.web import create_app
from tests.conftest import load_example, signed_form

PASSWORD = "correct horse battery"
INSIDE, OUTSIDE = "10.1.2.3", "192.0.2.50"


def make_client(fake_components, **settings):
    components = fake_components.sharing(settings=fake_components.settings.replace(**settings))
    return create_app(components.settings, components=components, test_config={"TESTING": True}).test_client()


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def stored(fake_components):
    produced = signed_form(fake_components, "annex2-agreement", load_example("annex2-agreement"))
    return fake_components.archive.submit(produced, LOCAL_OPERATOR)


def refusals(catalog, action="auth"):
    return [e for e in catalog.audit_events() if e.action == action and e.outcome == "refused"]


def test_a_token_limited_to_networks_works_inside_them_only(client, catalog, stored):
    token = create_token(catalog, agency="379000000A", role="clerk", allow=("10.0.0.0/8", "2001:db8::/32"))
    inside = client.get(f"/api/v1/records/{stored.record_id}", headers=auth(token),
                        environ_base={"REMOTE_ADDR": INSIDE})
    assert inside.status_code == 200
    outside = client.get(f"/api/v1/records/{stored.record_id}", headers=auth(token),
                         environ_base={"REMOTE_ADDR": OUTSIDE})
    assert outside.status_code == 403 and OUTSIDE in outside.json["error"]["message"]
    [refused] = refusals(catalog)
    assert refused.source_ip == OUTSIDE and "outside the networks" in refused.detail["reason"]


def test_a_role_network_applies_to_the_roles_tokens_and_its_people(fake_components, catalog):
    client = make_client(fake_components, role_networks="clerk=10.0.0.0/8")
    clerk = create_token(catalog, agency="379000000A", role="clerk")
    admin = create_token(catalog, agency="000000000D", role="admin")
    assert client.get("/api/v1/records", headers=auth(clerk)).status_code == 403  # from 127.0.0.1
    assert client.get("/api/v1/records", headers=auth(clerk), environ_base={"REMOTE_ADDR": INSIDE}).status_code == 200
    assert client.get("/api/v1/records", headers=auth(admin)).status_code == 200  # admin: no list
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")
    page = client.get("/login").data.decode()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    response = client.post("/login", data={"csrf": csrf, "username": "alice", "password": PASSWORD})
    assert response.status_code == 403 and "127.0.0.1" in response.data.decode()


def test_repeated_bad_tokens_from_one_address_are_slowed_down_but_a_valid_one_still_works(fake_components, catalog):
    client = make_client(fake_components, auth_failure_limit=3, auth_failure_window=600)
    good = create_token(catalog, agency="000000000D", role="admin")
    for _ in range(3):
        assert client.get("/api/v1/records", headers=auth("fst_guess")).status_code == 401
    blocked = client.get("/api/v1/records", headers=auth("fst_guess"))
    assert blocked.status_code == 429 and blocked.headers["Retry-After"] == "600"
    assert blocked.json["error"]["code"] == "too_many_attempts"
    # a token cannot be guessed: the brake is for the guesses, a valid token goes through
    assert client.get("/api/v1/records", headers=auth(good)).status_code == 200
    assert len(refusals(catalog)) == 3


def test_failed_sign_ins_count_towards_the_same_brake(fake_components, catalog):
    client = make_client(fake_components, auth_failure_limit=2)
    for name in ("nobody", "someone"):  # unknown users: no account lock-out, but the address counts
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").data.decode())[1]
        assert client.post("/login", data={"csrf": csrf, "username": name, "password": "x" * 12}).status_code == 401
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").data.decode())[1]
    response = client.post("/login", data={"csrf": csrf, "username": "third", "password": "x" * 12})
    assert response.status_code == 429 and "次數過多" in response.data.decode()


def test_behind_a_proxy_the_forwarded_address_is_logged(fake_components, catalog):
    client = make_client(fake_components, proxy_hops=1)
    client.get("/api/v1/records", headers={"X-Forwarded-For": "203.0.113.9"})
    assert refusals(catalog)[0].source_ip == "203.0.113.9"


def test_bad_networks_are_refused_with_the_setting_or_option_named(catalog, tmp_path):
    with pytest.raises(ConfigError, match="FORMS_ROLE_NETWORKS"):
        Settings.load(environ={"FORMS_ROLE_NETWORKS": "clerk=10.0.0.0/33"}, data_dir=tmp_path)
    with pytest.raises(ConfigError, match="FORMS_ROLE_NETWORKS"):
        Settings.load(environ={"FORMS_ROLE_NETWORKS": "chief=10.0.0.0/8"}, data_dir=tmp_path)
    with pytest.raises(InputError, match="--allow"):
        create_token(catalog, agency="000000000D", role="clerk", allow=("10.0.0.300/8",))


@pytest.fixture
def clerk_pages(fake_components, catalog):
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")
    client = make_client(fake_components, require_purpose=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").data.decode())[1]
    assert client.post("/login", data={"csrf": csrf, "username": "alice", "password": PASSWORD}).status_code == 302
    return client


def test_pages_ask_for_a_purpose_and_log_it_with_every_retrieval(clerk_pages, catalog, stored):
    page = clerk_pages.get("/records?all=1").data.decode()
    assert "請填寫查詢目的" in page
    assert clerk_pages.get(f"/records/{stored.record_id}").status_code == 302  # back to state a purpose
    page = clerk_pages.get("/records?all=1&purpose=稽核&case_no=115-稽-7").data.decode()
    assert stored.record_id in page
    assert clerk_pages.get(f"/records/{stored.record_id}").status_code == 200
    assert clerk_pages.get(f"/records/{stored.record_id}/versions/1.pdf").status_code == 200
    events = {e.action: e for e in catalog.audit_events() if e.outcome == "ok"}
    for action in ("record.search", "record.read", "record.download"):
        assert events[action].detail["purpose"] == "稽核" and events[action].detail["case_no"] == "115-稽-7"


def test_the_record_page_previews_its_pages(clerk_pages, catalog, stored):
    clerk_pages.get("/records?all=1&purpose=稽核")
    page = clerk_pages.get(f"/records/{stored.record_id}").data.decode()
    title = re.search(r"<title>(.*?)</title>", page, re.S)[1]
    assert title.endswith("｜商工資料表單典藏") and "<" not in title
    assert page.count(f"/records/{stored.record_id}/versions/1/pages/1.png") == 2  # the link and the image
    image = clerk_pages.get(f"/records/{stored.record_id}/versions/1/pages/1.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    width = int.from_bytes(image.data[16:20], "big")
    assert 400 < width < 600  # A4 at 60 dpi
    assert clerk_pages.get(f"/records/{stored.record_id}/versions/1/pages/99.png").status_code == 404
    preview = next(e for e in catalog.audit_events() if e.action == "record.preview")
    assert preview.detail["page"] == 1 and preview.detail["purpose"] == "稽核"


def test_another_agencys_preview_is_not_found(fake_components, catalog, stored):
    create_user(catalog, username="bob", password=PASSWORD, agency="387000000A", role="clerk")
    client = make_client(fake_components)
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").data.decode())[1]
    client.post("/login", data={"csrf": csrf, "username": "bob", "password": PASSWORD})
    assert client.get(f"/records/{stored.record_id}/versions/1/pages/1.png").status_code == 404
