"""``FormSpec``: everything the pipeline needs to know about one form id."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Annotated, Any

from pydantic import TypeAdapter, ValidationError

from ..errors import FieldProblem, ValidationFailed
from ..messages import FIELD_KINDS, RULES, problem, sentence
from .policies import Finding, Policy
from .types import Agency, FormModel


@dataclass(frozen=True)
class RenderOptions:
    """What a form's context may depend on besides its input."""

    provider_name: str
    # The blocks of the document's signing order (``signatures.py``): a template says which of its
    # signature blocks the agency does not use.
    signature_blocks: tuple[str, ...] = ()
    # The record the form names (``related_record``) in words — its title and filing day — printed
    # beside its id, so a reader of the signed document knows what it rests on without the service.
    related_title: str = ""


def _from_options(options: RenderOptions) -> dict[str, Any]:
    return {"signature_blocks": options.signature_blocks, "related_title": options.related_title}


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
    # Rules across fields (A ≠ B, every item answered once, …), each problem naming its path.  Each
    # rule reads few fields, so that one waiting for a field in error leaves the others to speak.
    rules: tuple[Callable[[Any], list[FieldProblem]], ...] = ()
    # Rules a party sets that the regulation does not make (``policies.py``): findings, which the
    # party's setting makes warnings or refusals.
    policy_checks: Callable[[Any, Policy], list[Finding]] = lambda form, policy: []
    # Long documents: the contexts of chunks rendered and converted separately, then merged.
    chunk_contexts: Callable[[Any, RenderOptions, int], list[dict[str, Any]]] | None = None
    row_count: Callable[[Any], int] = lambda form: 0

    def render_context(self, form: FormModel, options: RenderOptions) -> dict[str, Any]:
        """Everything the template is filled with: the form's own context and what the options add."""
        return {**self.context(form, options), **_from_options(options)}

    def render_chunk_contexts(self, form: FormModel, options: RenderOptions, rows: int) -> list[dict[str, Any]]:
        """A long document's chunks' contexts (``chunk_contexts``), each with what the options add."""
        assert self.chunk_contexts is not None
        return [{**c, **_from_options(options)} for c in self.chunk_contexts(form, options, rows)]

    def owner(self, form: FormModel) -> Agency:
        return getattr(form, self.owner_field)

    def validate(self, data: Any) -> FormModel:
        """The input as a model, or ``ValidationFailed`` naming every bad field path."""
        form, problems = self.examine(data)
        if problems or form is None:
            raise ValidationFailed(problems, form_id=self.form_id)
        return form

    def examine(self, data: Any) -> tuple[FormModel | None, list[FieldProblem]]:
        """Every problem of the input found in one pass — its fields' and, as far as the fields
        they read are valid, its rules across fields — so a person who fixes what he is shown is
        not shown new problems next; and the model when the fields are valid (None otherwise)."""
        if not isinstance(data, dict):
            return None, [problem("", "body_not_object")]
        try:
            form = self.model.model_validate(data)
        except ValidationError as err:
            problems = problems_from(err)
            return None, problems + self._rules_over_valid_fields(data, problems)
        return form, self.cross_checks(form)

    def cross_checks(self, form: FormModel) -> list[FieldProblem]:
        """Every rule across fields, over a valid form."""
        return [found for rule in self.rules for found in rule(form)]

    def _rules_over_valid_fields(self, data: dict[str, Any], problems: list[FieldProblem]) -> list[FieldProblem]:
        """The cross-field rules, run on the fields that are valid; a rule that reads a field in
        error is left until that field is put right (it cannot be judged yet)."""
        bad = {re.split(r"[.\[]", p.path, maxsplit=1)[0] for p in problems}
        values = {}
        for name, info in self.model.model_fields.items():
            key = info.alias or name
            if key in bad or name in bad or key not in data:
                continue
            try:
                values[name] = _field_adapter(self.model, name).validate_python(data[key])
            except ValidationError:
                continue
        partial = self.model.model_construct(**values)
        for name, info in self.model.model_fields.items():
            if name in bad or info.alias in bad:
                # Not its default: a field in error is unknown, and a rule reading it must wait.
                partial.__dict__.pop(name, None)
        found = []
        for rule in self.rules:
            try:
                found += rule(partial)
            except (AttributeError, TypeError, KeyError, ValueError):
                continue  # the rule reads a field in error: judged once the field is valid
        return [p for p in found if re.split(r"[.\[]", p.path, maxsplit=1)[0] not in bad]

    def json_schema(self) -> dict[str, Any]:
        schema = self.model.model_json_schema()
        schema["title"] = f"{self.form_id} — {self.annex} {self.title}"
        schema["$id"] = f"urn:forms-service:form:{self.form_id}"
        return schema


@lru_cache(maxsize=512)
def _field_adapter(model: type[FormModel], name: str) -> TypeAdapter[Any]:
    """A validator of one field of ``model`` alone (its type with its constraints)."""
    info = model.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation)  # type: ignore[arg-type]
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])  # type: ignore[arg-type]


def problems_from(err: ValidationError) -> list[FieldProblem]:
    """Pydantic's errors as problems: its own kinds (missing, too long, …) worded by the catalogue
    with their limits; the field types' refusals (``messages.refusal``) already are."""
    problems = []
    for e in err.errors(include_url=False):
        code = e["type"]
        if code in ("too_long", "too_short") and isinstance(e.get("input"), str):
            code = f"string_{code}"  # a text's length, checked after its cleaning: 字, not 項
        if code in FIELD_KINDS:
            message = sentence(code, **(e.get("ctx") or {}))
        elif code in RULES or code == "value_error":
            message = e["msg"].removeprefix("Value error, ")
        else:
            message = sentence("invalid")
        problems.append(FieldProblem(field_path(e["loc"]), message, code))
    return problems


def field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path
