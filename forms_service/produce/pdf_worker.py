"""The PDF worker process: PDF/A checks beside the signature, and long documents assembled.

Both hold the GIL for long: the checker (``pdfa.check``) is pure Python — at 600 pages it takes
several seconds, and a two-page form's ~40 ms came on top of its signature's — and assembling a
600-page 附件5 (``assembly.assemble``: its chunks merged, page numbers laid over, written) is a
few qpdf calls of seconds each, during which a web process answered nothing else.  So each
producing process has one worker process (``python -m forms_service.produce.pdf_worker``), kept
warm with its glyph cache:

- ``submit(written)``: the PDF/A verdict on the bytes about to be signed, while the caller signs.
  A web process starts the worker with itself (``warm``) and sends it every document; a one-shot
  command starts it only for a long document (``LONG_DOCUMENT_PAGES``) and checks a form in place
  rather than wait ~0.4 s for a process.
- ``assemble(chunks, numbers_for)``: a long document's chunks merged there (which tells the page
  count), the page-number overlay made here by LibreOffice for that count, laid over and written
  there; the worker is started for it if need be (only long documents come in chunks).

Work that comes while the worker is busy with another document is done in place.  The process
speaks a length-prefixed protocol on its stdin and stdout (a plain child: no multiprocessing,
which would re-import the web server's main module): a JSON request naming the task and how many
binary parts follow, the parts; a JSON answer and its parts.  A worker that dies or answers
garbage is a clear error for that document — never a pass, never a half-made PDF — and is started
again next time.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import IO, Any

from ..convert.frames import receive, send
from ..errors import ConversionFailed, FormsError

# From this many pages a document's check starts the worker process if it is not running.
LONG_DOCUMENT_PAGES = 40
log = logging.getLogger(__name__)


class PdfWorker:
    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._busy = threading.Lock()

    def submit(self, written: bytes) -> Future[dict[str, Any]]:
        """The verdict to come (``result()`` raises ``ConversionFailed`` unless it passed)."""
        future: Future[dict[str, Any]] = Future()
        if not self._busy.acquire(blocking=False):
            # Another document is being worked on there: this one is checked here, now.
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
            answer, _ = self._ask("check", [written], "the PDF/A check")
        except ConversionFailed as err:
            future.set_exception(err)
            return
        finally:
            self._busy.release()
        future.set_result(answer["verdict"])

    def assemble(self, pdfs: list[bytes], numbers_for: Callable[[int], bytes]) -> bytes:
        """``assembly.assemble`` with the chunks opened, joined and written in the worker process
        (in place when it is busy); ``numbers_for`` runs here, between the two."""
        if not self._busy.acquire(blocking=False):
            from .assembly import assemble

            return assemble(pdfs, numbers_for)
        what = "the document's assembly"
        try:
            merged, _ = self._ask("merge", pdfs, what)
            try:
                numbers = numbers_for(int(merged["pages"]))
            except BaseException:
                # The opened chunks are not needed any more; the overlay's error is the one told.
                with contextlib.suppress(ConversionFailed):
                    self._ask("forget", [], what)
                raise
            _, parts = self._ask("number", [numbers], what)
        finally:
            self._busy.release()
        if len(parts) != 1:
            raise ConversionFailed("the PDF worker answered the document's assembly without the document")
        return parts[0]

    def _ask(self, task: str, parts: list[bytes], what: str) -> tuple[dict[str, Any], list[bytes]]:
        """The worker's answer, or ``ConversionFailed`` with its error or its death (caller holds _busy)."""
        try:
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            send(process.stdin, {"task": task}, parts)
            answer, answer_parts = receive(process.stdout)
        except (OSError, EOFError, ValueError) as err:
            self._stop()
            raise ConversionFailed(f"the PDF worker process stopped before {what} was done: {err}") from err
        if not answer.get("ok"):
            raise ConversionFailed(str(answer.get("error", f"{what} failed")))
        return answer, answer_parts

    @property
    def running(self) -> bool:
        """Whether the worker process is up (started by ``warm`` or by a long document)."""
        return self._process is not None and self._process.poll() is None

    def warm(self) -> None:
        """Start the worker process now, in the background, so that every document is sent to it."""
        def start() -> None:
            with self._busy:
                try:
                    self._started()
                except OSError as err:  # documents are checked in place meanwhile; said once here
                    log.warning("the PDF worker process did not start: %s", err)

        threading.Thread(target=start, name="pdf-worker-start", daemon=True).start()

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen([sys.executable, "-m", "forms_service.produce.pdf_worker"],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.wait()

    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None


pdf_worker = PdfWorker()


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The worker process: a task in, ``{"ok", …}`` or ``{"ok": false, "error"}`` and parts out,
    until stdin closes.  Tasks: ``check`` (a written PDF → its verdict); ``merge`` (chunks → their
    page count; the opened chunks are kept for ``number``); ``number`` (the page-number overlay →
    the chunks joined, numbered and written); ``forget`` (the kept chunks dropped)."""
    from .memory import release_now_and_then

    kept: Any = None  # the opened chunks (an ``assembly.Merge``) between "merge" and "number"
    while True:
        try:
            request, parts = receive(stdin)
        except EOFError:
            return
        answer_parts: list[bytes] = []
        task = request.get("task")
        try:
            answer: dict[str, Any] = {"ok": True}
            if task == "check":
                from . import pdfa

                answer["verdict"] = pdfa.check(parts[0])
            elif task in ("merge", "forget"):
                if kept is not None:
                    kept.close()
                kept = None
                if task == "merge":
                    from .assembly import Merge

                    kept = Merge(parts)
                    answer["pages"] = kept.pages
            elif task == "number":
                if kept is None:
                    raise ConversionFailed("the PDF worker has no merged document to number")
                try:
                    answer_parts = [kept.numbered(parts[0])]
                finally:
                    kept.close()
                    kept = None
            else:
                answer = {"ok": False, "error": f"the PDF worker has no task {task!r}"}
        except FormsError as err:
            answer = {"ok": False, "error": err.message}
        except Exception as err:  # the worker must answer; the caller refuses the document
            answer = {"ok": False, "error": f"the PDF worker failed: {type(err).__name__}: {err}"}
        send(stdout, answer, answer_parts)
        release_now_and_then()  # after the answer: a 600-page document leaves hundreds of MB freed


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
