"""``forms-service templates check``: is a .docx fit to be a form's template?

Reports, each with a sentence:
- ``unknown_placeholder`` — a tag names something the form's context does not have;
- ``split_placeholder``   — a tag's characters are spread over several Word runs (Word does this
  after edits and spell checks; docxtpl repairs some cases but keeps only the first run's format);
- ``unused_field``        — a required input field whose value never appears in the filled form;
- ``unknown_font``        — a face name that resolves to no installed font (it would be replaced);
- ``broken_template``     — the template cannot be filled at all (a Jinja syntax error);
- ``unsafe_template``     — the template reaches for what a template may not (Python internals,
  mutating values); it is rendered in Jinja's sandbox, so nothing ran.

The check fills the template with the form's example input (``forms/examples/<form_id>.json``),
so a template passes only if it produces a complete document for a real input.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from docx import Document
from docxtpl import DocxTemplate
from jinja2 import TemplateError

from ..errors import ConfigError, FormsError
from ..forms import FormSpec, RenderOptions, example_input
from .glyphs import aliases, font_file, template_faces
from .render import TEMPLATES_ENVIRONMENT, TemplateFailed, UnsafeTemplate, render_docx
from .templates import TemplateSource

# Input fields printed in another spelling than given (dates, codes turned into labels or boxes).
REFORMATTED_FIELDS = {
    "start", "end", "applied_on", "signed_on", "effective_on", "audit_date", "due", "reviewed_on",
    "return_or_destroy_by", "at", "month", "application_type", "result", "tls_version", "id",
    "date", "approved_on", "filled_on", "exchange_methods", "self_result", "terminated_on", "done_on",
    "completed_on", "discovered_on", "kind", "tested_on", "fixed_on", "severity",
}
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}")


@dataclass(frozen=True)
class TemplateProblem:
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


def check_template(docx: bytes, spec: FormSpec, *, provider_name: str) -> list[TemplateProblem]:
    """Every problem of ``docx`` as ``spec``'s template, each a sentence — never an exception."""
    try:
        return _check(docx, spec, provider_name)
    except FormsError as err:
        return [TemplateProblem("broken_template", err.message)]
    except MemoryError:
        return [TemplateProblem("broken_template", "filling the template needs more memory than a form may")]
    except (OverflowError, RecursionError, ValueError, TypeError, KeyError, zipfile.BadZipFile) as err:
        return [TemplateProblem("broken_template", f"the template cannot be filled: {type(err).__name__}: {err}")]


CHECK_SECONDS = 30  # CPU seconds a limited check may take
CHECK_MEMORY = 1 << 30  # bytes of memory a limited check may add to its process


def check_template_limited(docx: bytes, spec: FormSpec, *, provider_name: str) -> list[TemplateProblem]:
    """``check_template`` in a child process held to ``CHECK_SECONDS`` of CPU and ``CHECK_MEMORY`` more
    memory (a template is an agency's file: filling it must not take the machine).  For a one-shot
    command: the child is forked."""
    import multiprocessing
    import resource

    def child(send: Any) -> None:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        used = _address_space()
        limit = used + CHECK_MEMORY if used else CHECK_MEMORY * 4
        resource.setrlimit(resource.RLIMIT_AS, (min(limit, hard) if hard > 0 else limit, hard))
        resource.setrlimit(resource.RLIMIT_CPU, (CHECK_SECONDS, CHECK_SECONDS + 5))
        found = check_template(docx, spec, provider_name=provider_name)
        send.send([(p.kind, p.message) for p in found])

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=child, args=(send,), daemon=True)
    process.start()
    send.close()
    answered = receive.poll(CHECK_SECONDS * 2)
    found = receive.recv() if answered else None
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    if found is None:
        return [TemplateProblem("broken_template", f"filling the template took more than {CHECK_SECONDS} s of CPU "
                                                   "or more memory than a form may; it was stopped")]
    return [TemplateProblem(kind, message) for kind, message in found]


def _address_space() -> int:
    """This process's virtual memory in bytes (0 where /proc does not say)."""
    try:
        with open("/proc/self/statm") as statm:
            import os

            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


def _check(docx: bytes, spec: FormSpec, provider_name: str) -> list[TemplateProblem]:
    try:
        Document(io.BytesIO(docx))
    except Exception as err:  # python-docx raises several types for non-documents
        return [TemplateProblem("broken_template", f"not a Word document: {err}")]
    problems = list(_split_placeholders(docx))
    data = example_input(spec.form_id)
    form = spec.validate(data)
    context = spec.render_context(form, RenderOptions(provider_name))
    known = set(context) | {"page_numbers", "signature_blocks"}
    try:
        # parsed in the sandbox: docxtpl's own environment folds constants such as 2 ** 10**7 as it parses
        undeclared = DocxTemplate(io.BytesIO(docx)).get_undeclared_template_variables(
            jinja_env=TEMPLATES_ENVIRONMENT)
    except TemplateError as err:
        return problems + [TemplateProblem("broken_template", f"the template cannot be parsed: {err}")]
    for name in sorted(undeclared - known):
        problems.append(TemplateProblem("unknown_placeholder",
                                        f"{{{{ {name} }}}} is not part of {spec.form_id}'s context"))
    try:
        filled = render_docx(docx, context)
    except UnsafeTemplate as err:
        problems.append(TemplateProblem("unsafe_template", str(err.message)))
    except TemplateFailed as err:
        problems.append(TemplateProblem("unknown_placeholder", str(err.message)))
    else:
        problems += _unused_fields(filled, spec, data)
    problems += _unknown_fonts(docx)
    return problems


def _parts(docx: bytes) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        for name in zf.namelist():
            if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", name):
                yield name, zf.read(name).decode("utf-8")


def _split_placeholders(docx: bytes) -> Iterator[TemplateProblem]:
    for part, xml in _parts(docx):
        for paragraph in re.findall(r"<w:p[ >].*?</w:p>", xml, flags=re.DOTALL):
            runs = re.findall(r"<w:t(?: [^>]*)?>(.*?)</w:t>", paragraph, flags=re.DOTALL)
            text, bounds, at = "", set(), 0
            for run in runs:
                at += len(run)
                bounds.add(at)
                text += run
            for match in _TAG.finditer(text):
                if any(match.start() < b < match.end() for b in bounds):
                    yield TemplateProblem(
                        "split_placeholder",
                        f"{match.group(0)} in {part} is split across Word runs: retype it in one go",
                    )


def printed_values(value: Any, key: str = "", path: str = "") -> Iterator[tuple[str, str]]:
    """(field path, value) of every input string that the form prints as it was given."""
    if isinstance(value, str):
        if key not in REFORMATTED_FIELDS and value.strip():
            yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from printed_values(v, k, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from printed_values(v, key, f"{path}[{i}]")


def _document_text(docx: bytes) -> str:
    text = []
    for _, xml in _parts(docx):
        text += re.findall(r"<w:t(?: [^>]*)?>(.*?)</w:t>", xml, flags=re.DOTALL)
    joined = "".join(text)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        joined = joined.replace(entity, char)
    return re.sub(r"\s+", "", re.sub(r"&#(\d+);", lambda m: chr(int(m[1])), joined))


def _unused_fields(filled: bytes, spec: FormSpec, data: dict[str, Any]) -> list[TemplateProblem]:
    text = _document_text(filled)
    required = {name for name, f in spec.model.model_fields.items() if f.is_required()}
    required |= {f.alias for f in spec.model.model_fields.values() if f.alias and f.is_required()}
    missing: dict[str, list[str]] = {}
    for path, value in printed_values(data):
        top = re.split(r"[.\[]", path, maxsplit=1)[0]
        if top in required and re.sub(r"\s+", "", value) not in text:
            missing.setdefault(top, []).append(path)
    return [
        TemplateProblem("unused_field",
                        f"the required field {top} never appears in the filled form ({', '.join(paths[:3])})")
        for top, paths in sorted(missing.items())
    ]


def _unknown_fonts(docx: bytes) -> list[TemplateProblem]:
    problems = []
    for face in sorted(template_faces(docx)):
        families = aliases().get(face, (face,))
        if not any(font_file(family) for family in families):
            problems.append(TemplateProblem(
                "unknown_font", f"the font {face!r} resolves to no installed face; text in it would be substituted",
            ))
    return problems


def check_agency_templates(source: TemplateSource, specs: Iterable[FormSpec], *, provider_name: str) -> None:
    """Start-up check of FORMS_TEMPLATE_DIR: any problem stops start-up with the full report."""
    report = []
    for spec in specs:
        path = source.custom_path(spec)
        if path is None:
            continue
        problems = check_template(path.read_bytes(), spec, provider_name=provider_name)
        report += [f"  {path.name}: {p}" for p in problems]
    if report:
        raise ConfigError("FORMS_TEMPLATE_DIR holds templates that cannot be used:\n" + "\n".join(report))
