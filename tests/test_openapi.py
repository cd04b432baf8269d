"""The OpenAPI description: valid OpenAPI 3.1, and it names every route and method of the API."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


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
