"""The Producer: validate → render (docxtpl, safe) → convert → check PDF/A → sign.  No storage.

``Producer.produce`` makes the signed PDF of one form and touches nothing else, so the CLI's
``render`` uses it alone and the archive stores what it returns (``archive/archive.py``).
"""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from ..convert import Converter
from ..forms import FormSpec, RenderOptions, get_form
from ..forms.types import FormModel
from . import pdfa
from .chunked import balanced_chunk_size, produce_chunked
from .glyphs import check_values, template_faces
from .memory import release_now_and_then
from .pdf_worker import LONG_DOCUMENT_PAGES, pdf_worker
from .render import render_docx
from .signer import DocumentSigner
from .templates import TemplateSource

# Rows of a long table per separately converted chunk: LibreOffice stays linear up to ~400 rows.
MAX_ROWS_PER_CHUNK = 300


@dataclass(frozen=True)
class Produced:
    """A validated form turned into a signed PDF/A, not yet stored."""

    spec: FormSpec
    form: FormModel
    pdf: bytes
    sha256: str
    pages: int
    signature_report: list[dict[str, Any]]
    pdfa: dict[str, Any]  # the PDF/A checker's verdict on the converted document, before signing


@lru_cache(maxsize=64)
def _faces(template: bytes) -> frozenset[str]:
    return frozenset(template_faces(template))


def validate_input(form_id: str, data: Any, templates: TemplateSource) -> tuple[FormSpec, FormModel]:
    """The model of ``data``, or ``ValidationFailed`` naming each bad field — including any
    character the template's fonts cannot print (so no signed PDF ever shows an empty box)."""
    spec = get_form(form_id)
    form = spec.validate(data)
    check_values(form.model_dump(mode="json", by_alias=True), set(_faces(templates.load(spec))), form_id=form_id)
    return spec, form


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

    def produce(self, form_id: str, data: Any, *, caller: str = "") -> Produced:
        spec, form = self.validate(form_id, data)
        return self.produce_validated(spec, form, caller=caller)

    def produce_validated(self, spec: FormSpec, form: FormModel, *, caller: str = "") -> Produced:
        """The signed PDF; ``caller`` (who asked) takes its turn at the converter with the others.

        The PDF/A check runs in the PDF worker process while the same bytes are signed when that
        process is running (a web process starts it) or the document is long (seconds of checking
        at hundreds of pages); the signature is returned only once the check has passed (a failure
        leaves nothing but the error).  Otherwise it runs here, before signing."""
        try:
            return self._produce(spec, form, caller)
        finally:
            release_now_and_then()

    def _produce(self, spec: FormSpec, form: FormModel, caller: str) -> Produced:
        started = time.perf_counter()
        pdf = pdfa.write(self._convert(spec, form, caller))
        self.observe("render_convert", time.perf_counter() - started)
        pages = page_count(pdf)
        owner = spec.owner(form)

        def sign() -> Any:
            began = time.perf_counter()
            signed = self.signer.sign(pdf, field_name="Signature1", reason=f"{spec.annex} {spec.title}",
                                      location=owner.name, stamp_role="簽署人", stamp_agency=owner.name)
            self.observe("sign", time.perf_counter() - began)
            return signed

        if pages < LONG_DOCUMENT_PAGES and not pdf_worker.running:
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
                        pdfa_verdict)

    def preview(self, spec: FormSpec, form: FormModel, *, caller: str = "") -> bytes:
        """The filled form as an unsigned PDF, to look at before signing (never stored)."""
        return self._convert(spec, form, caller)

    def _convert(self, spec: FormSpec, form: FormModel, caller: str) -> bytes:
        template = self.templates.load(spec)
        if spec.chunk_contexts is not None:
            lent = self.lent_converters()
            rows = balanced_chunk_size(spec.row_count(form), workers=self.parallel + len(lent),
                                       max_rows=MAX_ROWS_PER_CHUNK)
            chunks = spec.chunk_contexts(form, self.options, rows)
            if len(chunks) > 1:
                # merged in the PDF worker process: seconds of qpdf that would hold this one's GIL
                pdf, _ = produce_chunked(template, chunks, self.converter, parallel=self.parallel, caller=caller,
                                         assemble=pdf_worker.assemble, lent=lent)
                return pdf
        return self.converter.convert(render_docx(template, spec.context(form, self.options)), caller=caller)


def page_count(pdf: bytes) -> int:
    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])
