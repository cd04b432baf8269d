"""Converters lent between the web processes of one instance, for long documents.

Under ``serve`` each web process starts its share of the machine's LibreOffice workers — one each
on two cores — so a long 附件5, converted in chunks, would convert on one worker while the other
process's sat idle.  Each web process therefore lends its converter on a Unix socket in the data
directory (``run/converters/<pid>.sock``), and a process converting a long document's chunks
borrows the others' (``lent_converters``) beside its own.  The lender converts a borrowed chunk as
one more caller of its pool, so its own requests still take their turns.

A lender that cannot be reached, is busy or goes away mid-chunk is not an error: ``Unreachable``
says so, and the chunk is converted by the borrower itself.  A chunk the lender's LibreOffice
could not convert is ``ConversionFailed``, as it would have been at home.  Messages are
``frames``: ``{"tagged"}`` and the .docx; ``{"ok": true}`` and the PDF, or ``{"ok": false,
"code", "error"}``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from storage.seaweed import process_alive

from ..errors import ConversionFailed
from . import frames
from .protocol import Converter

log = logging.getLogger(__name__)

LENT_TO = "another web process"  # the caller a lender's pool sees for borrowed chunks


class Unreachable(Exception):
    """The lender did not convert the chunk (gone, busy, or no answer): convert it at home."""


# A Unix socket's path holds at most 107 bytes; a data directory deep in a file system (a CI
# runner's temporary folder, say) makes a longer one.  Such a path is reached through its folder's
# open descriptor instead (/proc/self/fd/N/<pid>.sock: Linux resolves it to the same socket).
SOCKET_PATH_BYTES = 100


@contextlib.contextmanager
def socket_address(path: Path) -> Iterator[str]:
    """An address of the socket at ``path`` short enough to bind or connect to."""
    if len(os.fsencode(path)) <= SOCKET_PATH_BYTES:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


class LentConverter:
    """Another web process's converter, reached on its socket (``convert`` as the protocol says,
    plus ``Unreachable``)."""

    def __init__(self, path: Path, *, timeout: float):
        self.path = path
        self.timeout = timeout

    def convert(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> bytes:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(self.timeout)
                with socket_address(self.path) as address:
                    connection.connect(address)
                with connection.makefile("rwb") as stream:
                    frames.send(stream, {"tagged": tagged}, [docx])
                    answer, parts = frames.receive(stream)
        except (OSError, EOFError, ValueError) as err:
            raise Unreachable(f"{self.path.name}: {err}") from err
        if answer.get("ok") and len(parts) == 1:
            return parts[0]
        if answer.get("code") == "conversion_failed":
            raise ConversionFailed(str(answer.get("error", "the conversion failed")))
        raise Unreachable(f"{self.path.name}: {answer.get('error', 'no document in the answer')}")

    def close(self) -> None:
        """Nothing to close: each chunk has its own connection."""


class ConverterLending:
    """This process's converter lent on ``folder/<pid>.sock``, and the others' found there."""

    def __init__(self, converter: Converter, folder: Path, *, timeout: float,
                 on_lent: Callable[[str], None] = lambda outcome: None):
        self.converter = converter
        self.on_lent = on_lent  # each chunk converted for another process: "ok", "failed" or "not_lent"
        self.folder = folder
        self.timeout = timeout
        self.path = folder / f"{os.getpid()}.sock"
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    def start(self) -> ConverterLending:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a socket of an earlier process with this pid
        converter, on_lent = self.converter, self.on_lent

        class Lend(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                try:
                    request, parts = frames.receive(self.rfile)
                    pdf = converter.convert(parts[0], tagged=bool(request.get("tagged", True)), caller=LENT_TO)
                    on_lent("ok")
                    frames.send(self.wfile, {"ok": True}, [pdf])
                except (OSError, EOFError, ValueError, IndexError):
                    return  # the borrower went away or sent garbage: it converts the chunk itself
                except ConversionFailed as err:
                    on_lent("failed")
                    frames.send(self.wfile, {"ok": False, "code": "conversion_failed", "error": err.message})
                except Exception as err:  # busy, closed, not a document: the borrower converts it at home
                    on_lent("not_lent")
                    frames.send(self.wfile, {"ok": False, "code": "not_lent", "error": str(err)})

        with socket_address(self.path) as address:
            server = socketserver.ThreadingUnixStreamServer(address, Lend)
        server.daemon_threads = True
        self._server = server
        # shutdown() waits for the loop's next look at its flag: every 50 ms, not the default 500 ms
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="converter-lending",
                         daemon=True).start()
        return self

    def lent_converters(self) -> list[Converter]:
        """The converters of the instance's other live web processes (the sockets of processes
        that ended without closing theirs — killed — are removed on the way)."""
        found: list[Converter] = []
        for path in sorted(self.folder.glob("*.sock")):
            if path == self.path or not path.stem.isdigit():
                continue
            if not process_alive(int(path.stem)):
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            found.append(LentConverter(path, timeout=self.timeout))
        return found

    def close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()


__all__ = ["LENT_TO", "ConverterLending", "LentConverter", "Unreachable"]
