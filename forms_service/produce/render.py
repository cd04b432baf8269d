"""Fill a .docx template from a form's context with docxtpl — safely.

Templates may come from an agency (FORMS_TEMPLATE_DIR), so they are data, not code: they render in
Jinja's ``ImmutableSandboxedEnvironment``, where ``{{ cycler.__init__.__globals__.os… }}`` and its
kind raise ``SecurityError`` instead of running.  Within it, a template is one document and a
modest one: ``{% include %}``/``{% import %}``/``{% extends %}`` name nothing, ``range`` stops at
``MAX_RANGE``, and ``*`` and ``**`` may not build a value beyond ``MAX_VALUE`` (``'A' * 10**8``
took 15 s and 1.4 GB) — each an ``UnsafeTemplate``.  (``templates check`` also runs under memory
and CPU limits: ``template_check.check_template_limited``.)

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
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from docxtpl import DocxTemplate
from jinja2 import BaseLoader, StrictUndefined, TemplateError
from jinja2.exceptions import SecurityError, TemplateNotFound
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from ..errors import FormsError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


class TemplateFailed(FormsError):
    """The template itself is broken (a tag error or a placeholder the context lacks)."""

    code = "template_error"


class UnsafeTemplate(TemplateFailed):
    """The template tried to reach what a template may not (Python internals, mutation)."""

    code = "unsafe_template"


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


def _kept(cache: dict[str, Any], source: str, make: Callable[[str], Any]) -> Any:
    """``make(source)``, made once per source; at most a few hundred sources are kept (agency
    templates come and go)."""
    made = cache.get(source)
    if made is None:
        if len(cache) > 256:
            cache.clear()
        made = cache[source] = make(source)
    return made


MAX_RANGE = 10_000  # items ``range`` may yield (Jinja's sandbox allows 100,000)
MAX_VALUE = 100_000  # characters or items a ``*`` may build; digits a ``**`` may


class _OneDocument(BaseLoader):
    """No template names another: ``{% include %}`` and its kind are refused with a sentence."""

    def get_source(self, environment: Any, template: str) -> Any:
        raise TemplateNotFound(f"{template} (a template is one document: include, import and extends name nothing)")


def _range(*args: int) -> range:
    found = range(*args)
    if len(found) > MAX_RANGE:
        raise SecurityError(f"range() of {len(found):,} items: a template may count to {MAX_RANGE:,}")
    return found


def _check_sizes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE:
            raise SecurityError(f"a size of {value:,}: a template may ask for {MAX_VALUE:,}")


def _bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        _check_sizes(args, kwargs)
        return function(*args, **kwargs)

    for marker in ("jinja_pass_arg",):  # pass_context / pass_environment still apply
        if hasattr(function, marker):
            setattr(call, marker, getattr(function, marker))
    return call


class _CompilingOnceEnvironment(ImmutableSandboxedEnvironment):
    """docxtpl compiles each XML part with ``from_string`` on every render — a third of the
    rendering time.  The patched XML of a template never changes, so compile it once.  The
    sandbox's limits on size (``MAX_RANGE``, ``MAX_VALUE``) are set here too."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any):
        super().__init__(loader=_OneDocument(), **options)
        self.globals["range"] = _range
        # A size given to a filter or method (center(10**8), "x".ljust(…)) is bounded like "*"'s.
        self.filters = {name: _bounded(f) for name, f in self.filters.items()}
        self._compiled: dict[str, Any] = {}

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_sizes(args, kwargs)
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            sizes = [len(v) for v in (left, right) if isinstance(v, (str, list, tuple))]
            times = [v for v in (left, right) if isinstance(v, int)]
            if sizes and times and sizes[0] * max(times[0], 0) > MAX_VALUE:
                raise SecurityError(f"a value of {sizes[0] * times[0]:,} characters or items: a template may "
                                    f"build {MAX_VALUE:,}")
        elif operator == "**" and isinstance(left, (int, float)) and isinstance(right, (int, float)) \
                and abs(right) > 64 and abs(left) > 1:
            raise SecurityError(f"{left} ** {right}: a template may raise to a power of 64 at most")
        return super().call_binop(context, operator, left, right)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals or template_class or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        return _kept(self._compiled, source, super().from_string)


class _PatchingOnceTemplate(DocxTemplate):
    """docxtpl rewrites each XML part of the template with some fifty regular expressions before
    Jinja sees it (``patch_xml``: ~40% of rendering a form) on every render; the result depends on
    the part's XML alone (the method reads nothing else), so it is kept per XML."""

    _patched: ClassVar[dict[str, Any]] = {}  # the process's, shared by every render

    def patch_xml(self, src_xml: str) -> str:
        return str(_kept(self._patched, src_xml, super().patch_xml))


# StrictUndefined: a placeholder the context lacks is an error, not a silently blank field.
TEMPLATES_ENVIRONMENT = _CompilingOnceEnvironment(autoescape=True, undefined=StrictUndefined)


def render_docx(template: Path | bytes, context: dict[str, Any]) -> bytes:
    source = io.BytesIO(template) if isinstance(template, bytes) else template
    doc = _PatchingOnceTemplate(source)
    # What every template may use beside the form's own context: page numbers, and the blocks of
    # the signing order (none: every signature block says the agency does not use it).
    context = {"page_numbers": True, "signature_blocks": (), **context}
    name = template.name if isinstance(template, Path) else "the template"
    try:
        doc.render(make_safe(context), jinja_env=TEMPLATES_ENVIRONMENT, autoescape=True)
    except SecurityError as err:
        raise UnsafeTemplate(f"{name} is unsafe and was not filled: {err}") from err
    except TemplateError as err:
        raise TemplateFailed(f"{name} cannot be filled: {err}") from err
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
