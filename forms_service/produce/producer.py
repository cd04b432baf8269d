"""The Producer: validate → render (docxtpl, safe) → convert → PDF/A with the signature fields of
its signing order → check PDF/A → sign.  No storage.

``Producer.produce`` makes the PDF of one form and touches nothing else, so the CLI's ``render``
uses it alone and the archive stores what it returns (``archive/archive.py``).  Who signs is the
caller's: it hands in the document's signing order (``forms.signatures``) — a signature field is
made in each block — and the signing of what can be signed now (``sign``: the agency's key in its
block, say), or nothing, leaving every field to its signer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from ..convert import Converter
from ..errors import FieldProblem, ValidationFailed
from ..forms import FormSpec, RenderOptions, get_form
from ..forms.signatures import Block
from ..forms.types import FormModel
from . import pdfa
from .chunked import balanced_chunk_size, produce_chunked
from .fields import add_fields
from .glyphs import glyph_problems, template_faces
from .memory import release_now_and_then
from .pdf_worker import LONG_DOCUMENT_PAGES, pdf_worker
from .render import render_docx
from .signer import DocumentSigner, SignedPdf
from .templates import TemplateSource

# Rows of a long table per separately converted chunk: LibreOffice stays linear up to ~400 rows.
MAX_ROWS_PER_CHUNK = 300


@dataclass(frozen=True)
class Produced:
    """A validated form turned into a PDF/A — signed in the blocks signed so far — not yet stored."""

    spec: FormSpec
    form: FormModel
    pdf: bytes
    sha256: str
    pages: int
    signature_report: list[dict[str, Any]]
    pdfa: dict[str, Any]  # the PDF/A checker's verdict on the converted document, before signing
    signing_order: tuple[str, ...] = ()  # the document's signature blocks, in order
    warnings: tuple[dict[str, str], ...] = ()  # rules of its parties it breaks where they only warn


Sign = Callable[[bytes], SignedPdf]  # signs the prepared PDF/A (one block or several, in turn)


@lru_cache(maxsize=64)
def _faces(template: bytes) -> frozenset[str]:
    return frozenset(template_faces(template))


def validate_input(form_id: str, data: Any, templates: TemplateSource) -> tuple[FormSpec, FormModel]:
    """The model of ``data``, or ``ValidationFailed`` naming each bad field — including any
    character the template's fonts cannot print (so no signed PDF ever shows an empty box)."""
    spec, form, problems = examine_input(form_id, data, templates)
    if problems or form is None:
        raise ValidationFailed(problems, form_id=spec.form_id)
    return spec, form


def examine_input(form_id: str, data: Any, templates: TemplateSource
                  ) -> tuple[FormSpec, FormModel | None, list[FieldProblem]]:
    """Every problem of ``data`` in one pass — fields, rules across fields, characters the fonts
    cannot print — and the model when its fields are valid."""
    spec = get_form(form_id)
    form, problems = spec.examine(data)
    values = form.model_dump(mode="json", by_alias=True) if form is not None else data
    in_error = {p.path for p in problems}
    problems += [p for p in glyph_problems(values if isinstance(values, dict) else {},
                                           set(_faces(templates.load(spec))))
                 if p.path not in in_error]
    return spec, form, problems


StageObserver = Callable[[str, float], None]  # (stage, seconds): the service's metrics


class Producer:
    def __init__(self, *, converter: Converter, signer: DocumentSigner, templates: TemplateSource,
                 provider_name: str, parallel: int = 2, observe: StageObserver | None = None,
                 lent_converters: Callable[[], list[Converter]] = list):
        self.observe: StageObserver = observe or (lambda stage, seconds: None)
        self.converter = converter
        # Other web processes' converters, which a long document's chunks also go to (convert/lending.py).
        self.lent_converters = lent_converters
        self.signer = signer
        self.templates = templates
        self.options = RenderOptions(provider_name=provider_name)
        self.parallel = parallel  # chunks converted at once: the converter's worker count

    def validate(self, form_id: str, data: Any) -> tuple[FormSpec, FormModel]:
        return validate_input(form_id, data, self.templates)

    def examine(self, form_id: str, data: Any) -> tuple[FormSpec, FormModel | None, list[FieldProblem]]:
        return examine_input(form_id, data, self.templates)

    def produce(self, form_id: str, data: Any, *, caller: str = "", blocks: tuple[Block, ...] = (),
                sign: Sign | None = None) -> Produced:
        spec, form = self.validate(form_id, data)
        return self.produce_validated(spec, form, caller=caller, blocks=blocks, sign=sign)

    def produce_validated(self, spec: FormSpec, form: FormModel, *, caller: str = "", blocks: tuple[Block, ...] = (),
                          sign: Sign | None = None, related: str = "") -> Produced:
        """The PDF/A with a signature field in each of ``blocks``, signed by ``sign`` (nothing signed
        without it); ``caller`` (who asked) takes its turn at the converter with the others.

        The PDF/A check runs in the PDF worker process while the same bytes are signed when that
        process is running (a web process starts it) or the document is long (seconds of checking
        at hundreds of pages); the signature is returned only once the check has passed (a failure
        leaves nothing but the error).  Otherwise it runs here, before signing.  ``related``: what the
        record the form names is, in words (``archive.related.describe``), printed beside its id."""
        try:
            return self._produce(spec, form, caller, blocks, sign, related)
        finally:
            release_now_and_then()

    def _produce(self, spec: FormSpec, form: FormModel, caller: str, blocks: tuple[Block, ...],
                 sign_with: Sign | None, related: str) -> Produced:
        started = time.perf_counter()
        pdf, placed = pdfa.write_located(self._convert(spec, form, caller, blocks, related), blocks)
        self.observe("render_convert", time.perf_counter() - started)
        pages = page_count(pdf)
        order = tuple(b.id for b in blocks)

        def sign() -> SignedPdf:
            # The fields after the PDF/A check's bytes (its checker judges no forms), before any signature.
            prepared = add_fields(pdf, placed)
            if sign_with is None:
                return SignedPdf(prepared, [])
            began = time.perf_counter()
            signed = sign_with(prepared)
            self.observe("sign", time.perf_counter() - began)
            return signed

        if sign_with is None or (pages < LONG_DOCUMENT_PAGES and not pdf_worker.running):
            began = time.perf_counter()
            pdfa_verdict = pdfa.check(pdf)
            self.observe("pdfa_check", time.perf_counter() - began)
            signed = sign()
        else:
            began, finished = time.perf_counter(), []
            checking = pdf_worker.submit(pdf)
            checking.add_done_callback(lambda _: finished.append(time.perf_counter()))  # the check's own time
            try:
                signed = sign()
            finally:
                pdfa_verdict = checking.result()  # raises ConversionFailed: nothing is returned
            self.observe("pdfa_check", (finished[0] if finished else time.perf_counter()) - began)
        return Produced(spec, form, signed.pdf, hashlib.sha256(signed.pdf).hexdigest(), pages, signed.report,
                        pdfa_verdict, order)

    def preview(self, spec: FormSpec, form: FormModel, *, caller: str = "", related: str = "") -> bytes:
        """The filled form as an unsigned PDF, to look at before signing (never stored)."""
        return self._convert(spec, form, caller, related=related)

    def _convert(self, spec: FormSpec, form: FormModel, caller: str, blocks: tuple[Block, ...] = (),
                 related: str = "") -> bytes:
        template = self.templates.load(spec)
        options = dataclasses.replace(self.options, signature_blocks=tuple(b.id for b in blocks),
                                      related_title=related)
        if spec.chunk_contexts is not None:
            lent = self.lent_converters()
            rows = balanced_chunk_size(spec.row_count(form), workers=self.parallel + len(lent),
                                       max_rows=MAX_ROWS_PER_CHUNK)
            chunks = spec.render_chunk_contexts(form, options, rows)
            if len(chunks) > 1:
                # merged in the PDF worker process: seconds of qpdf that would hold this one's GIL
                pdf, _ = produce_chunked(template, chunks, self.converter, parallel=self.parallel, caller=caller,
                                         assemble=pdf_worker.assemble, lent=lent)
                return pdf
        context = spec.render_context(form, options)
        return self.converter.convert(render_docx(template, context), caller=caller)


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
