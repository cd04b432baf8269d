"""PDF/A checks of long documents in a separate process, so that they run beside the signature.

The checker (``pdfa.check``) is pure Python and holds the GIL: at 600 pages it takes ~13 s, as
long as signing the same bytes.  A checker process (``python -m forms_service.produce.pdfa_checks``,
one per producing process, started at the first long document and kept warm with its glyph cache)
checks while the caller signs; a small form, or a long one while the checker is busy, is checked in
place.  The process speaks a length-prefixed protocol on its stdin and stdout (a plain child: no
multiprocessing, which would re-import the web server's main module).  A checker that dies or
answers garbage is a clear error for that document — never a pass — and is started again next time.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from typing import IO, Any

from ..errors import ConversionFailed, FormsError

# From this many pages a document's check runs in the checker process (a 2-page form: in place).
PARALLEL_CHECK_PAGES = 40
_HEADER = struct.Struct(">Q")


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


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
