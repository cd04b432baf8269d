"""Fill a .docx template from a form's context with docxtpl — safely.

docxtpl's defaults destroy content: without autoescape ``A&B`` prints ``A`` and a ``<`` cut a
table; control characters corrupt runs even when escaped; and after rendering docxtpl rewrites
``{_{`` to ``{{`` and turns ``\\n``/``\\t``/``\\a``/``\\f`` into breaks, paragraphs and page breaks.
So every string value is cleaned and escaped *here*, into markup that survives those passes:
control characters removed, XML-escaped, and ``_`` written as ``&#95;`` so no value can form
docxtpl's ``{_{`` markers.  ``\\n`` survives only in values of multi-line fields, where it means
a line break.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined, TemplateError
from markupsafe import Markup, escape

from .errors import FormsError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class TemplateFailed(FormsError):
    """The template itself is broken (a tag error or a placeholder the context lacks)."""

    code = "template_error"


def safe_text(value: str) -> Markup:
    cleaned = _CONTROL.sub("", value).replace("\t", " ")
    return Markup(str(escape(cleaned)).replace("_", "&#95;"))


def make_safe(value: Any) -> Any:
    """The context with every string cleaned and pre-escaped, recursively."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, dict):
        return {k: make_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [make_safe(v) for v in value]
    return value


def _environment() -> Environment:
    # StrictUndefined: a placeholder the context lacks is an error, not a silently blank field.
    return Environment(autoescape=True, undefined=StrictUndefined)


def render_docx(template: Path | bytes, context: dict[str, Any]) -> bytes:
    source = io.BytesIO(template) if isinstance(template, bytes) else template
    doc = DocxTemplate(source)
    try:
        doc.render(make_safe(context), jinja_env=_environment(), autoescape=True)
    except TemplateError as err:
        name = template if isinstance(template, Path) else "the template"
        raise TemplateFailed(f"{getattr(name, 'name', name)} cannot be filled: {err}") from err
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
