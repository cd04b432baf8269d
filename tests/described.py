"""Checking the API's real answers against its OpenAPI description: the schema the description gives
for that path, method and status (``web/responses.py`` models' schemas, resolved within it)."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012


class Described:
    def __init__(self, client: Any):
        spec = client.get("/api/v1/openapi.json").json
        # The description's own references (#/components/…) resolved within it.
        self.spec = json.loads(json.dumps(spec).replace('"#/components/', '"urn:forms-service:openapi#/components/'))
        self.registry = Registry().with_resource("urn:forms-service:openapi",
                                                 Resource.from_contents(self.spec, default_specification=DRAFT202012))

    def errors(self, method: str, url: str, status: int, body: Any) -> list[str]:
        """What in ``body`` disagrees with the schema described for ``method url`` answering ``status``."""
        validator = Draft202012Validator(self.schema(method, url, status), registry=self.registry)
        return [error.message for error in validator.iter_errors(body)]

    def check(self, method: str, url: str, response: Any) -> Any:
        """The response's JSON, after asserting it is what the description says."""
        errors = self.errors(method, url, response.status_code, response.json)
        assert errors == [], f"{method.upper()} {url} {response.status_code}: {errors[:3]}"
        return response.json

    def schema(self, method: str, url: str, status: int) -> dict:
        path = url.split("?")[0].removeprefix("/api/v1")
        for template, item in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
            if re.match(pattern, path) and method in item:
                answers = item[method]["responses"]
                answer = answers.get(str(status)) or answers.get("default")
                assert answer is not None, f"{method.upper()} {template} answers {status}, which is not described"
                if "$ref" in answer:  # a shared response: #/components/responses/…
                    found = self.spec
                    for part in answer["$ref"].split("#/", 1)[1].split("/"):
                        found = found[part]
                    answer = found
                schema: dict = answer["content"]["application/json"]["schema"]
                return schema
        raise AssertionError(f"{method.upper()} {path} is not described")
