"""PDF/A checks in a separate process, so that they run beside the signature.

The checker (``pdfa.check``) is pure Python and holds the GIL: at 600 pages it takes ~13 s, as
long as signing the same bytes, and a two-page form's ~40 ms came on top of its signature's.  A
checker process (``python -m forms_service.produce.pdfa_checks``, one per producing process, kept
warm with its glyph cache) checks while the caller signs.  A web process starts it with itself
(``warm``) and sends it every document; a one-shot command starts it only for a long document
(``LONG_DOCUMENT_PAGES``) and checks a form in place rather than wait ~0.4 s for a process.  A
document that comes while the checker is busy is checked in place.  The process speaks a
length-prefixed protocol on its stdin and stdout (a plain child: no multiprocessing, which would
re-import the web server's main module).  A checker that dies or answers garbage is a clear error
for that document — never a pass — and is started again next time.
"""

from __future__ import annotations

import json
import logging
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import IO, Any

from ..errors import ConversionFailed, FormsError

# From this many pages a document's check starts the checker process if it is not running.
LONG_DOCUMENT_PAGES = 40
_HEADER = struct.Struct(">Q")
log = logging.getLogger(__name__)


def _send(stream: IO[bytes], data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> bytes:
    header = stream.read(_HEADER.size)
    if len(header) != _HEADER.size:
        raise EOFError("the checker process closed its output")
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) != size:
        raise EOFError("the checker process stopped mid-answer")
    return data


class CheckerProcess:
    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._busy = threading.Lock()

    def submit(self, written: bytes) -> Future[dict[str, Any]]:
        """The verdict to come (``result()`` raises ``ConversionFailed`` unless it passed)."""
        future: Future[dict[str, Any]] = Future()
        if not self._busy.acquire(blocking=False):
            # Another document is being checked there: this one is checked here, now.
            from . import pdfa

            try:
                future.set_result(pdfa.check(written))
            except FormsError as err:
                future.set_exception(err)
            return future
        threading.Thread(target=self._check, args=(written, future), name="pdfa-check", daemon=True).start()
        return future

    def _check(self, written: bytes, future: Future[dict[str, Any]]) -> None:
        try:
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            _send(process.stdin, written)
            answer = json.loads(_receive(process.stdout))
        except (OSError, EOFError, ValueError) as err:
            self._stop()
            future.set_exception(ConversionFailed(f"the PDF/A checker stopped before its verdict: {err}"))
            return
        finally:
            self._busy.release()
        if answer.get("ok"):
            future.set_result(answer["verdict"])
        else:
            future.set_exception(ConversionFailed(str(answer.get("error", "the PDF/A check failed"))))

    @property
    def running(self) -> bool:
        """Whether the checker process is up (started by ``warm`` or by a long document)."""
        return self._process is not None and self._process.poll() is None

    def warm(self) -> None:
        """Start the checker process now, in the background, so that every document is sent to it."""
        def start() -> None:
            with self._busy:
                try:
                    self._started()
                except OSError as err:  # documents are checked in place meanwhile; said once here
                    log.warning("the PDF/A checker process did not start: %s", err)

        threading.Thread(target=start, name="pdfa-check-start", daemon=True).start()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen([sys.executable, "-m", "forms_service.produce.pdfa_checks"],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None


checks = CheckerProcess()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The checker process: a document in, ``{"ok", "verdict" | "error"}`` out, until stdin closes."""
    from . import pdfa
    from .memory import release_now_and_then

    while True:
        try:
            written = _receive(stdin)
        except EOFError:
            return
        try:
            answer: dict[str, Any] = {"ok": True, "verdict": pdfa.check(written)}
        except FormsError as err:
            answer = {"ok": False, "error": err.message}
        except Exception as err:  # the checker must answer; the caller refuses the document
            answer = {"ok": False, "error": f"the PDF/A checker failed: {type(err).__name__}: {err}"}
        _send(stdout, json.dumps(answer).encode())
        release_now_and_then()  # after the answer: a 600-page check leaves hundreds of MB freed


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
