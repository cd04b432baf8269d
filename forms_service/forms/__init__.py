"""The form registry: one module per form id, each exporting a ``SPEC``."""

from __future__ import annotations

from ..errors import UnknownForm
from . import annex2_agreement
from .spec import FormSpec, RenderOptions

_SPECS: dict[str, FormSpec] = {spec.form_id: spec for spec in (annex2_agreement.SPEC,)}


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


__all__ = ["FormSpec", "RenderOptions", "all_forms", "get_form"]
