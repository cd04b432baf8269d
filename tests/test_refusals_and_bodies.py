"""Every refusal is in the audit log with what was asked for (security review, finding 10), and a
body nested too deep is a 400, not a 500 (finding 11)."""

from __future__ import annotations

import pytest

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.tokens import create_token
from tests.conftest import load_example, signed_form


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def record_id(fake_components):
    produced = signed_form(fake_components, "annex2-agreement", load_example("annex2-agreement"))
    return fake_components.archive.submit(produced, LOCAL_OPERATOR).record_id


def refused(catalog, action):
    return [e for e in catalog.audit_events() if e.action == action and e.outcome == "refused"]


@pytest.mark.parametrize("method, path, body, action", [
    ("post", "/api/v1/records/{rid}/legal-hold", {"hold": True, "reason": "x"}, "record.hold"),
    ("post", "/api/v1/records/{rid}/retention", {"until": "2040-01-01", "reason": "x"}, "record.retain"),
    ("post", "/api/v1/records/{rid}/countersign", None, "record.countersign"),
])
def test_a_refused_change_is_audited_with_the_record_and_the_reason(client, catalog, record_id, method, path, body,
                                                                    action):
    staff = create_token(catalog, agency="379000000A", role="staff")
    response = getattr(client, method)(path.format(rid=record_id), json=body, headers=auth(staff))
    assert response.status_code == 403
    [entry] = refused(catalog, action)
    assert entry.record_id == record_id and entry.detail["reason"] and entry.detail["method"] == "POST"


def test_a_refused_filing_is_audited(client, catalog):
    clerk = create_token(catalog, agency="379000000A", role="clerk")
    assert client.post("/api/v1/forms/annex2-agreement/records", json=load_example("annex2-agreement"),
                       headers=auth(clerk)).status_code == 403
    [entry] = refused(catalog, "record.create")
    assert "只能查閱紀錄，不能填送表單" in entry.detail["reason"]


def test_a_search_naming_another_agency_is_audited(client, catalog):
    clerk = create_token(catalog, agency="379000000A", role="clerk")
    response = client.get("/api/v1/records?agency=387000000A", headers=auth(clerk))
    assert response.status_code == 200 and response.json["records"] == []
    [entry] = refused(catalog, "record.search")
    assert entry.detail["agency"] == "387000000A"


def test_a_refused_read_records_the_route_and_version_asked_for(client, catalog, record_id):
    other = create_token(catalog, agency="387000000A", role="clerk")
    assert client.get(f"/api/v1/records/{record_id}/pdf?version=2", headers=auth(other)).status_code == 404
    [entry] = refused(catalog, "record.read")
    assert entry.record_id == record_id
    assert entry.detail["path"] == f"/api/v1/records/{record_id}/pdf" and entry.detail["version"] == "2"


@pytest.mark.parametrize("depth", [100_000, 40])
def test_a_body_nested_too_deep_is_a_400_naming_it(client, staff_token, depth):
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/forms/annex2-agreement/records", data=body,
                           headers={**auth(staff_token), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["field"] == "body" and "巢狀" in response.json["error"]["message"]


def test_brackets_inside_strings_do_not_count(client, staff_token):
    data = load_example("annex2-agreement")
    data["purpose"] = "[" * 100 + "{" * 100
    response = client.post("/api/v1/forms/annex2-agreement/records", json=data, headers=auth(staff_token))
    assert response.status_code == 201, response.json


@pytest.mark.parametrize("body", ["[1, 2", "true", ""])
def test_a_body_that_is_not_a_json_object_is_a_400(client, staff_token, body):
    response = client.post("/api/v1/forms/annex2-agreement/records", data=body,
                           headers={**auth(staff_token), "Content-Type": "application/json"})
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("invalid_input", "validation_failed")
