"""``LazyConverter``: a converter started when the first document needs it.

The jobs process (``forms-service jobs run``) serves periodic work that converts nothing most of
the time; it holds a ``LazyConverter`` that starts the LibreOffice pool at the first batch entry
and stops it with the process.  Its contract is every converter's (``tests/contract/test_converter.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..errors import ConversionFailed
from .protocol import Converter


class LazyConverter:
    def __init__(self, start: Callable[[], Converter]):
        self._start = start
        self._started: Converter | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def started(self) -> bool:
        return self._started is not None

    def convert(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> bytes:
        return self._converter().convert(docx, tagged=tagged, caller=caller)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            started, self._started = self._started, None
        if started is not None:
            started.close()

    def _converter(self) -> Converter:
        with self._lock:  # two jobs at once start one pool
            if self._closed:
                raise ConversionFailed("the converter was stopped with the service")
            if self._started is None:
                self._started = self._start()
            return self._started
