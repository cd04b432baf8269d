"""The OpenAPI description: valid OpenAPI 3.1, and it names every route and method of the API."""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from tests.described import Described


def test_the_description_is_valid_openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.json)


def test_every_api_route_is_described_and_nothing_else(client, app):
    described = {(path, method) for path, item in client.get("/api/v1/openapi.json").json["paths"].items()
                 for method in item}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1"):])
            routes |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == routes


def test_form_bodies_are_the_forms_models(client):
    spec = client.get("/api/v1/openapi.json").json
    annex2 = spec["components"]["schemas"]["annex2-agreement"]
    assert "representative" in annex2["properties"]
    body = spec["paths"]["/forms/{form_id}/records"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/annex5-query-log"} in body["oneOf"]


def test_real_responses_are_what_the_description_says(client, catalog, staff_token, example, clock):
    """A day of calls — filing, reading, searching, verifying, what is due, connections, an audit
    scheduled and read, a batch, a hold, and the refusals (422, 403, 404) — each body validated
    against its described schema (the answers' schemas are their models': web/responses.py)."""
    from forms_service.access.tokens import create_token

    described = Described(client)
    staff = {"Authorization": f"Bearer {staff_token}"}
    admin = {"Authorization": f"Bearer {create_token(catalog, agency='000000000D', role='admin')}"}
    checked = []

    def call(method: str, url: str, headers: dict, body: object = None) -> dict:
        response = client.open(f"/api/v1{url}", method=method.upper(), json=body, headers=headers)
        checked.append((method, url, response.status_code))
        return described.check(method, url, response)

    call("get", "/forms", {})
    filed = call("post", "/forms/annex1-interface/records", staff, example("annex1-interface"))
    record_id = filed["record_id"]
    call("get", f"/records/{record_id}", staff)
    call("get", "/records?form=annex1-interface", staff)
    call("get", f"/records/{record_id}/verification", staff)
    call("get", "/due", staff)
    connections = call("get", "/connections", staff)
    if connections.get("connections"):
        call("get", f"/connections/{connections['connections'][0]['id']}", staff)
    call("get", "/inspections", staff)
    call("get", "/incidents", admin)
    provider = {"Authorization": f"Bearer {create_token(catalog, agency='A15000000E', role='provider')}"}
    audit_on = f"{clock.now().year - 1911 + 1}/03/15"  # next year's spring: over a month ahead
    audit = call("post", "/inspections", provider, {"agency": "379000000A", "audit_on": audit_on, "team": "王稽核"})
    call("get", f"/inspections/{audit['id']}", staff)
    batch = call("post", "/batches", staff, {"form": "annex2-agreement",
                                             "inputs": [example("annex2-agreement"), {"party": 5}]})
    call("get", f"/batches/{batch['id']}", staff)
    call("post", f"/records/{record_id}/legal-hold", admin, {"hold": True, "reason": "訴訟保全"})
    assert [status for _, _, status in checked][-5:] == [201, 200, 202, 200, 200], checked[-5:]
    system = {"Authorization": "Bearer " + create_token(catalog, agency="379000000A", role="system",
                                                        system="稅務系統", connection_id="rec_unknown")}
    events = [{"event_id": f"ev-{n}", "at": f"2026-11-0{n}T22:15:00+08:00", "system": "稅務系統",
               "user": {"name": "王小明", "account": "tp-wang"}, "subject": {"business_id": "22099131"},
               "purpose": "營業稅籍查核", "case_no": f"北市稽字第1153{n:06d}號"} for n in (1, 2)]
    call("post", "/query-events", system, [*events, {"event_id": "bad"}])
    call("get", "/query-logs/稅務系統/2026-11", staff)
    assert [status for _, _, status in checked][-2:] == [200, 200], checked[-2:]
    call("post", "/forms/annex2-agreement/records", staff, {**example("annex2-agreement"), "signed_on": "115/02/30"})
    call("post", f"/records/{record_id}/legal-hold", staff, {"hold": True, "reason": "x"})
    call("get", "/records/rec_00000000000000000000000000000000", staff)
    assert [status for _, _, status in checked][-3:] == [422, 403, 404]
    # The described schemas constrain: a record whose id were a number would fail.
    assert described.errors("get", f"/records/{record_id}", 200, {"record_id": 5}) != []
