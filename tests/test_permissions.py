"""Every route called as every role, each answer held to the authorisation table (``access/policy.py``).

Generated from the application's own routes: a route added without naming its action fails the
first test, and a role the table refuses an action must be refused on every route of that action —
before the view runs, with the action's sentence — while a role it allows must never meet that
refusal (it may still meet the service's own checks: a record of another agency is unknown, a turn
is not his).  No call may end in a server error, whatever its made-up arguments.
"""

from __future__ import annotations

import re

import pytest

from forms_service.access import Role
from forms_service.access.policy import REFUSALS, TABLE, Action, may, table_markdown
from forms_service.access.roles import Actor
from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from forms_service.web.permissions import ANY_SIGNED_IN, ENDPOINTS, PUBLIC
from tests.test_web_pages import PASSWORD, sign_in

AGENCY = "379000000A"
ONLY = {Role.SYSTEM: "業務系統的憑證只能傳送查詢事件", Role.QUERIER: "查調者只能檢視並說明自己的查詢"}


def _routes(app, prefix: str) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route under ``prefix``, its arguments made up."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or not rule.rule.startswith(prefix):
            continue
        values = {arg: (1 if type(rule._converters[arg]).__name__ == "IntegerConverter" else "x1")
                  for arg in rule.arguments}
        url = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m, given=values: str(given[m[1]]), rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return sorted(found)


def refusal(role: Role, action: Action) -> str:
    return ONLY.get(role) or REFUSALS[action]


def test_every_route_names_its_action(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unnamed = sorted(e for e in endpoints if e not in ENDPOINTS and e not in PUBLIC and e not in ANY_SIGNED_IN)
    assert unnamed == [], "name these routes' actions in web/permissions.py"
    assert sorted(set(ENDPOINTS) - endpoints) == []  # no route named that is not one
    assert set(TABLE) == set(Action) and set(REFUSALS) == set(Action)


@pytest.mark.parametrize("role", list(Role))
def test_every_api_route_answers_each_role_as_the_table_says(app, client, catalog, role):
    system = role is Role.SYSTEM
    token = create_token(catalog, agency=AGENCY, role=role, system="稅務資料整合查詢系統" if system else "",
                         connection_id="rec_" + "0" * 32 if system else "")
    actor = Actor(id="t", agency=AGENCY, role=role)
    wrong = []
    for endpoint, method, url in _routes(app, "/api/"):
        action = ENDPOINTS[endpoint]
        response = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {token}"})
        message = (response.get_json(silent=True) or {}).get("error", {}).get("message", "")
        refused = response.status_code == 403 and refusal(role, action) in message
        if response.status_code >= 500 or refused == may(actor, action):
            wrong.append(f"{method} {url} ({action.value}): {response.status_code} {message[:80]}")
    assert wrong == []


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.SYSTEM])  # a system has no sign-in
def test_every_page_answers_each_role_as_the_table_says(app, client, catalog, role):
    create_user(catalog, username="someone", password=PASSWORD, agency=AGENCY, role=role,
                system_account="tp-someone" if role is Role.QUERIER else "")
    assert sign_in(client, "someone").status_code == 302
    with client.session_transaction() as session:  # every post carries the session's form token
        token = session.setdefault("csrf", "a-form-token-of-this-session")
    actor = Actor(id="user:someone", agency=AGENCY, role=role)
    wrong = []
    for endpoint, method, url in _routes(app, "/"):
        if url.startswith("/api/") or endpoint in ANY_SIGNED_IN:
            continue
        action = ENDPOINTS[endpoint]
        response = client.open(url, method=method, data={"csrf": token} if method == "POST" else {})
        page = response.data.decode(errors="replace")
        refused = response.status_code == 403 and refusal(role, action) in page
        if role is Role.QUERIER and endpoint == "ui.records":
            refused = response.status_code == 302 and "/my-queries" in response.headers["Location"]
        if response.status_code >= 500 or refused == may(actor, action):
            wrong.append(f"{method} {url} ({action.value}): {response.status_code}")
    assert wrong == []


def test_the_docs_print_the_table():
    from pathlib import Path

    security = (Path(__file__).parent.parent / "docs" / "security.md").read_text()
    assert table_markdown() in security, "docs/security.md: paste forms_service.access.policy.table_markdown()"
