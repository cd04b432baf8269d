"""The form registry: one module per form id, each exporting a ``SPEC``; a complete example input
of each form in ``examples/<form_id>.json`` (``templates check`` fills templates with it)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from ..errors import UnknownForm
from . import (
    annex1_application,
    annex2_agreement,
    annex3_requirements,
    annex4_audit_checklist,
    annex5_query_log,
    incident_report,
    purge_record,
    security_test,
)
from .spec import FormSpec, RenderOptions

_SPECS: dict[str, FormSpec] = {
    spec.form_id: spec
    for spec in (
        annex1_application.INTERFACE, annex1_application.COPY, annex2_agreement.SPEC,
        annex3_requirements.SPEC, annex4_audit_checklist.SPEC, annex5_query_log.SPEC,
        purge_record.SPEC, incident_report.SPEC, security_test.SPEC,
    )
}


def get_form(form_id: str) -> FormSpec:
    try:
        return _SPECS[form_id]
    except KeyError:
        raise UnknownForm(
            f"unknown form {form_id!r}; known forms: {', '.join(sorted(_SPECS))}",
            details={"form_id": form_id},
        ) from None


def all_forms() -> list[FormSpec]:
    return [_SPECS[k] for k in sorted(_SPECS)]


def example_input(form_id: str) -> dict[str, Any]:
    """A complete, valid input of the form (a fresh copy each call)."""
    spec = get_form(form_id)
    text = files("forms_service.forms").joinpath("examples", f"{spec.form_id}.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


__all__ = ["FormSpec", "RenderOptions", "all_forms", "example_input", "get_form"]
