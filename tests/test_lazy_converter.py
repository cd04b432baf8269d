"""The jobs process's converter: nothing started until a document needs it, one start for
documents that come at once, and a clear error after the service stopped it."""

from __future__ import annotations

import os
import threading

import pytest

from forms_service.convert.lazy import LazyConverter
from forms_service.errors import ConversionFailed


class Counting:
    def __init__(self):
        self.conversions, self.closed = 0, False

    def convert(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> bytes:
        self.conversions += 1
        return b"%PDF-" + docx

    def close(self) -> None:
        self.closed = True


def test_nothing_starts_before_the_first_document_and_one_start_serves_every_later_one():
    starts: list[Counting] = []
    lazy = LazyConverter(lambda: starts.append(Counting()) or starts[-1])
    assert not lazy.started and starts == []
    threads = [threading.Thread(target=lazy.convert, args=(b"x",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(starts) == 1 and starts[0].conversions == 8 and lazy.started


def test_closing_stops_what_was_started_and_later_documents_get_a_clear_error():
    started = Counting()
    lazy = LazyConverter(lambda: started)
    lazy.convert(b"x")
    lazy.close()
    assert started.closed
    with pytest.raises(ConversionFailed, match="stopped"):
        lazy.convert(b"y")


def test_closing_one_never_started_starts_nothing():
    lazy = LazyConverter(lambda: pytest.fail("started"))
    lazy.close()


def test_the_jobs_process_starts_with_a_converter_that_is_not_running_yet(tmp_path):
    from forms_service.components import start_components
    from forms_service.settings import Settings

    # the run's choice of libraries kept: start-up installs the replacements unless it says stock
    keep = {k: v for k, v in os.environ.items() if k == "FORMS_STOCK_LIBRARIES"}
    settings = Settings.load(environ=keep, data_dir=tmp_path / "data")
    with start_components(settings, with_archive=False, with_converter=False, lazy_converter=True) as components:
        assert isinstance(components.converter, LazyConverter) and not components.converter.started
        assert components.producer is not None  # a producer can be made; LibreOffice waits for its first document
