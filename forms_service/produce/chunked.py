"""Long documents in chunks: render and convert parts in parallel, merge, number the pages.

LibreOffice lays out one long table superlinearly (1,000 rows 9 s, 2,000 rows 35 s here), but a
few hundred rows convert at a steady ~6.5 ms a row.  So a long 附件5 is rendered in chunks of
rows (each with the table's header row, the title only on the first, the review only on the
last), the chunks are converted in parallel across the pool while the next ones render, and the
PDFs are merged.  Page numbers 第 N 頁／共 M 頁 must count the whole document, which no chunk
knows: chunks are rendered without them, and the numbers are stamped on afterwards from an
overlay that LibreOffice makes from the same template's footer (same fonts, same position).
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from docx import Document
from docx.enum.text import WD_BREAK

from ..convert import Converter
from ..convert.lending import Unreachable
from . import assembly
from .render import render_docx


def produce_chunked(template: bytes, contexts: Iterable[dict[str, Any]], converter: Converter, *,
                    parallel: int = 2, caller: str = "", assemble: Assembler = assembly.assemble,
                    lent: Sequence[Converter] = ()) -> tuple[bytes, int]:
    """The merged, page-numbered PDF of all chunks, and its page count.

    Chunks are converted by ``parallel`` callers of ``converter`` and one of each ``lent``
    converter (other web processes', ``convert/lending.py``), each taking the next chunk when it is
    free, while the next chunks render.  A chunk a lent converter could not take is converted here.
    ``assemble`` merges the chunks and lays the numbers over (in place by default; the producer
    hands it to its PDF worker process)."""
    chunks: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
    pdfs: dict[int, bytes] = {}
    failures: list[BaseException] = []

    def convert_chunks(on: Converter) -> None:
        while (item := chunks.get()) is not None:
            index, docx = item
            if failures:
                continue  # one chunk failed: the document fails, the rest need no converting
            try:
                # untagged, as merging drops structure trees
                pdfs[index] = on.convert(docx, tagged=False, caller=caller)
            except Unreachable:
                chunks.put(item)  # for another converter, or for here after the others
                return
            except BaseException as err:  # the document's error, raised below
                failures.append(err)
        chunks.put(None)  # the end, for the next converter to see too

    converters = [converter] * max(1, parallel) + list(lent)
    threads = [threading.Thread(target=convert_chunks, args=(on,), name="chunk", daemon=True) for on in converters]
    for thread in threads:
        thread.start()
    count = 0
    try:
        for index, context in enumerate(contexts):
            chunks.put((index, render_docx(template, {**context, "page_numbers": False})))
            count = index + 1
    except BaseException as err:  # the chunks already queued need no converting
        failures.append(err)
        raise
    finally:
        chunks.put(None)
        for thread in threads:
            thread.join()
    # Chunks put back by a lender that went away after the converters here had finished.
    while not chunks.empty():
        if (item := chunks.get_nowait()) is not None and not failures:
            pdfs[item[0]] = converter.convert(item[1], tagged=False, caller=caller)
    if failures:
        raise failures[0]
    counted: list[int] = []

    def numbers_for(pages: int) -> bytes:
        counted.append(pages)
        return converter.convert(numbering_docx(template, pages), tagged=False, caller=caller)

    pdf = assemble([pdfs[index] for index in range(count)], numbers_for)
    return pdf, counted[0]


# (chunks, numbers_for(pages) → page-number overlay) → the one document
Assembler = Callable[[list[bytes], Callable[[int], bytes]], bytes]


def balanced_chunk_size(rows: int, *, workers: int, max_rows: int) -> int:
    """Rows per chunk so that chunks are at most ``max_rows`` and come in multiples of ``workers``
    (1,000 rows on 2 workers: 4 × 250, not 300+300+300+100)."""
    if rows <= 0:
        return 1
    per_round = max(1, workers) * max_rows
    chunks = max(1, workers) * -(-rows // per_round)
    return -(-rows // chunks)


def numbering_docx(template: bytes, pages: int) -> bytes:
    """The template with an empty body of ``pages`` pages: only its footer's page numbers print."""
    doc = Document(io.BytesIO(template))
    body = doc.element.body
    for child in list(body):
        if child.tag.endswith("}sectPr"):
            continue
        body.remove(child)
    for _ in range(pages - 1):
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph()  # the last page needs content after the final break, or it is dropped
    buffer = io.BytesIO()
    doc.save(buffer)
    return render_docx(buffer.getvalue(), {"page_numbers": True})
