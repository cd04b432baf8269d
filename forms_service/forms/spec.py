"""``FormSpec``: everything the pipeline needs to know about one form id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from ..errors import FieldProblem, ValidationFailed
from .policies import Finding, Policy
from .types import Agency, FormModel


@dataclass(frozen=True)
class RenderOptions:
    """What a form's context may depend on besides its input."""

    provider_name: str
    # The blocks of the document's signing order (``signatures.py``): a template says which of its
    # signature blocks the agency does not use.
    signature_blocks: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSpec:
    form_id: str
    annex: str  # 附件1 … 附件5
    title: str
    model: type[FormModel]
    template: str  # file name in templates/
    context: Callable[[Any, RenderOptions], dict[str, Any]]
    owner_field: str  # the Agency field naming whose record this is (access control)
    retain_from: Callable[[Any], date]  # retention runs until this date + the form's rule
    signed: bool = True
    countersigned: bool = False  # the data provider adds a second signature (附件2)
    subjects: Callable[[Any], set[str]] = lambda form: set()  # 統一編號 the record is about
    retention_class: str = "period"  # "period": 使用期限 + years; "log": audit date / month + years
    # Rules across fields (A ≠ B, every item answered once, …); each problem names its path.
    cross_checks: Callable[[Any], list[FieldProblem]] = lambda form: []
    # Rules a party sets that the regulation does not make (``policies.py``): findings, which the
    # party's setting makes warnings or refusals.
    policy_checks: Callable[[Any, Policy], list[Finding]] = lambda form, policy: []
    # Long documents: the contexts of chunks rendered and converted separately, then merged.
    chunk_contexts: Callable[[Any, RenderOptions, int], list[dict[str, Any]]] | None = None
    row_count: Callable[[Any], int] = lambda form: 0

    def owner(self, form: FormModel) -> Agency:
        return getattr(form, self.owner_field)

    def validate(self, data: Any) -> FormModel:
        """The input as a model, or ``ValidationFailed`` naming every bad field path."""
        if not isinstance(data, dict):
            raise ValidationFailed([FieldProblem("", "the body must be a JSON object")], form_id=self.form_id)
        try:
            form = self.model.model_validate(data)
        except ValidationError as err:
            raise ValidationFailed(problems_from(err), form_id=self.form_id) from None
        problems = self.cross_checks(form)
        if problems:
            raise ValidationFailed(problems, form_id=self.form_id)
        return form

    def json_schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema()
        schema["title"] = f"{self.form_id} — {self.annex} {self.title}"
        schema["$id"] = f"urn:forms-service:form:{self.form_id}"
        return schema


def problems_from(err: ValidationError) -> list[FieldProblem]:
    problems = []
    for e in err.errors(include_url=False):
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "unknown field (check its spelling against the form's JSON Schema)"
        problems.append(FieldProblem(field_path(e["loc"]), message, e["type"]))
    return problems


def field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path
