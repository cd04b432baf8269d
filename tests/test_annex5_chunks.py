"""附件5 at size: rendered in chunks converted in parallel, merged, numbered as one document."""

from __future__ import annotations

import re

import pytest

from forms_service.produce.chunked import balanced_chunk_size
from forms_service.produce.pdf_worker import pdf_worker
from signing import verify_pdf
from tests.conftest import load_example, pdftotext, signed_form, squeeze


@pytest.fixture(scope="module")
def long_register(components):
    data = load_example("annex5-query-log")
    base = data["entries"]
    data["entries"] = [dict(base[i % len(base)], note=f"R{i + 1}") for i in range(700)]
    ask = pdf_worker._ask
    pdf_worker._ask = lambda task, *rest: WORKER_TASKS.append(task) or ask(task, *rest)  # type: ignore[method-assign]
    try:
        return signed_form(components, "annex5-query-log", data)
    finally:
        del pdf_worker._ask  # the class's own again


WORKER_TASKS: list[str] = []  # what the PDF worker process was asked while the register was made


def test_the_chunks_are_assembled_in_the_pdf_worker_process(long_register):
    assert WORKER_TASKS.count("merge") == WORKER_TASKS.count("number") == 1


def test_chunks_are_balanced_across_workers():
    assert balanced_chunk_size(1000, workers=2, max_rows=300) == 250
    assert balanced_chunk_size(100, workers=2, max_rows=300) == 50
    assert balanced_chunk_size(10_000, workers=2, max_rows=300) == 295
    assert balanced_chunk_size(0, workers=2, max_rows=300) == 1


def test_every_row_is_printed_once_and_in_order(long_register):
    text = pdftotext(long_register.pdf, layout=True)
    notes = [int(n) for n in re.findall(r"\bR(\d+)\b", text)]
    assert notes == list(range(1, 701))


def test_pages_are_numbered_across_the_whole_document(long_register):
    pages = long_register.pages
    assert pages > 20
    text = pdftotext(long_register.pdf)
    numbers = re.findall(r"第 (\d+) 頁／共 (\d+) 頁", text)
    assert [int(n) for n, _ in numbers] == list(range(1, pages + 1))
    assert {int(total) for _, total in numbers} == {pages}


def test_the_header_row_is_on_every_page_and_title_and_review_once(long_register):
    pages = pdftotext(long_register.pdf).split("\f")[:long_register.pages]
    with_entries = [page for page in pages if "（tp-" in page]  # a page the table runs onto
    assert len(with_entries) >= long_register.pages - 1  # the review may close the register on a page of its own
    assert all("查詢日期時間" in squeeze(page) for page in with_entries)
    text = squeeze("".join(pages))
    assert text.count("商工登記資料查詢紀錄登記表") == 1
    assert text.count("保存期限：查核結果（報告）應留存1年備供查核") == 1  # the review block closes the register


def test_the_merged_document_is_signed_pdfa(long_register, components):
    assert b'pdfaid:part="2"' in long_register.pdf
    verification = verify_pdf(long_register.pdf, components.trust_roots)
    assert verification.ok, verification.problems
