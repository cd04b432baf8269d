"""A supervised pool of warm LibreOffice workers.

Shape (after Datasette's write thread): a bounded number of callers may wait; each takes an idle
worker in turn — callers take turns (``fair.py``), so a long register cannot starve a short form —
uses it alone, and gives it back.  Each worker owns one ``soffice`` with its
own profile and UNO pipe — two LibreOffice processes sharing a profile fail silently.

Supervision: a worker found dead at check-out is restarted; a conversion that exceeds the time
limit gets its whole process group killed (``soffice.bin`` included) and the worker restarted; a
worker that dies mid-conversion is restarted and the document retried once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from storage.seaweed import process_alive

from ..errors import ConversionFailed, ServiceUnavailable
from .fair import FairHandout, HandoutTimeout
from .fonts import fontconfig_env
from .protocol import check_docx

WORKER_SCRIPT = Path(str(files("forms_service.convert").joinpath("uno_worker.py")))


class _WorkerDied(Exception):
    pass


class _WorkerTimedOut(Exception):
    pass


@dataclass(frozen=True)
class ConversionResult:
    pdf: bytes
    pages: int


class Worker:
    """One ``uno_worker.py`` process (and its soffice) with a private profile directory."""

    def __init__(self, index: int, root: Path, *, soffice: str, uno_python: str, start_timeout: float,
                 on_restart: Callable[[], None] | None = None):
        self.on_restart = on_restart
        self.index = index
        self.root = root / f"worker-{index}"
        self.soffice = soffice
        self.uno_python = uno_python
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None
        self._pipes: list[Path] = []
        self._buffer = b""
        self.conversions = 0
        self.restarts = -1

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        self.stop()
        self.restarts += 1
        if self.restarts > 0 and self.on_restart is not None:  # the first start is no restart
            self.on_restart()
        profile = self.root / "profile"
        home = self.root / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ, **fontconfig_env(), "HOME": str(home), "SAL_USE_VCLPLUGIN": "svp",
            "TMPDIR": str(self.root),
        }
        pipe_name = f"forms-{os.getpid()}-{self.index}-{uuid.uuid4().hex[:8]}"
        self._pipes = office_pipes(profile, pipe_name)
        self.process = subprocess.Popen(
            [self.uno_python, str(WORKER_SCRIPT), self.soffice, str(profile), pipe_name],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )
        self._buffer = b""
        try:
            hello = self._read_line(self.start_timeout)
        except (_WorkerDied, _WorkerTimedOut) as err:
            self.stop()
            raise ConversionFailed(
                f"LibreOffice worker {self.index} did not start within {self.start_timeout:.0f} s "
                f"({type(err).__name__.strip('_')}); is libreoffice-writer-nogui with python3-uno installed?"
            ) from err
        if not hello.get("ready"):
            self.stop()
            raise ConversionFailed(f"LibreOffice worker {self.index} failed to start: {hello}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream:
                stream.close()
        _remove_pipes(self._pipes)  # a killed soffice leaves them behind

    def convert(self, src: Path, dst: Path, timeout: float, *, tagged: bool = True) -> int:
        assert self.process and self.process.stdin
        request = {"in": str(src), "out": str(dst), "tagged": tagged}
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as err:
            raise _WorkerDied() from err
        answer = self._read_line(timeout)
        self.conversions += 1
        if not answer.get("ok"):
            raise ConversionFailed(f"LibreOffice could not convert the document: {answer.get('error')}")
        return int(answer.get("pages") or 0)

    def _read_line(self, timeout: float) -> dict:
        assert self.process and self.process.stdout
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _WorkerTimedOut()
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                raise _WorkerDied()
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)


# LibreOffice makes its pipes here whatever TMPDIR says (the path is fixed in its OSL layer): ours,
# named by the pool, and its single-instance pipe, named from the profile's URL.
PIPE_DIR = Path("/tmp")


def office_pipes(profile: Path, pipe_name: str | None = None) -> list[Path]:
    """The pipes a soffice of ``profile`` leaves in PIPE_DIR when it is killed."""
    uid = os.getuid()
    # LibreOffice names its single-instance pipe by the MD5 of the profile URL in UTF-16, each
    # byte in hex without padding.
    digest = hashlib.md5(profile.resolve().as_uri().encode("utf-16-le"), usedforsecurity=False).digest()
    names = [f"OSL_PIPE_{uid}_SingleOfficeIPC_" + "".join(f"{byte:x}" for byte in digest)]
    if pipe_name:
        names.append(f"OSL_PIPE_{uid}_{pipe_name}")
    return [PIPE_DIR / name for name in names]


def _remove_pipes(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(OSError):  # another user's, or gone already
            if path.is_socket():
                path.unlink()


def sweep_stale_runs(run_dir: Path) -> list[Path]:
    """Remove the folders of ``run_dir`` (``<prefix>-<pid>-…``) whose process is gone — left by a
    crash or a kill — with their LibreOffice pipes; a live process's folder stays.  The folders removed."""
    removed = []
    for folder in run_dir.iterdir():
        parts = folder.name.split("-")
        if len(parts) < 3 or not parts[1].isdigit() or process_alive(int(parts[1])):
            continue
        for worker in folder.glob("worker-*"):
            _remove_pipes(office_pipes(worker / "profile"))
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    for pipe in PIPE_DIR.glob(f"OSL_PIPE_{os.getuid()}_forms-*"):  # the pool's own pipe names carry the pid
        pid = pipe.name.split("_forms-", 1)[1].split("-", 1)[0]
        if pid.isdigit() and not process_alive(int(pid)):
            _remove_pipes([pipe])
    return removed


class LibreOfficePool:
    """The ``Converter`` implementation used by the service: N warm workers, bounded waiting."""

    def __init__(
        self,
        *,
        workers: int = 2,
        timeout: float = 60.0,
        soffice: str = "/usr/bin/soffice",
        uno_python: str = "/usr/bin/python3",
        work_dir: Path | None = None,
        run_dir: Path | None = None,
        on_restart: Callable[[], None] | None = None,
        max_waiting: int | None = None,
        start_timeout: float = 60.0,
        start_in_background: bool = False,
    ):
        """``start_in_background``: return at once and let the workers start meanwhile (while the
        caller starts its other parts); ``wait_started`` then says whether they did.

        ``run_dir``: where the workers' profiles, temporary files and pipes live (the service's
        ``<data dir>/run``), in a folder of this process removed on close; folders left by processes
        that died without closing are removed here.  Without it (nor ``work_dir``): the system's
        temporary directory."""
        for exe, what in ((soffice, "soffice"), (uno_python, "a Python with uno")):
            if not shutil.which(exe):
                raise ServiceUnavailable(
                    f"{what} not found at {exe}: install libreoffice-writer-nogui and python3-uno"
                )
        self.timeout = timeout
        self._own_dir = work_dir is None
        if work_dir is None and run_dir is not None:
            run_dir.mkdir(parents=True, exist_ok=True)
            sweep_stale_runs(run_dir)
            work_dir = Path(tempfile.mkdtemp(prefix=f"lo-{os.getpid()}-", dir=run_dir))
        self.root = Path(work_dir or tempfile.mkdtemp(prefix="forms-lo-")).absolute()
        self.root.mkdir(parents=True, exist_ok=True)
        self._workers = [
            Worker(i, self.root, soffice=soffice, uno_python=uno_python, start_timeout=start_timeout,
                   on_restart=on_restart)
            for i in range(workers)
        ]
        self._handout: FairHandout[Worker] = FairHandout()
        self._waiting = threading.BoundedSemaphore(max_waiting or workers * 8)
        self._closed = False
        self._start_errors: list[BaseException] = []
        self._start_lock = threading.Lock()
        self._starting = [threading.Thread(target=self._start_one, args=(w,), name=f"lo-start-{w.index}")
                          for w in self._workers]
        for thread in self._starting:
            thread.start()
        if not start_in_background:
            self.wait_started()

    def _start_one(self, worker: Worker) -> None:
        try:
            worker.start()
        except BaseException as err:  # collected and re-raised by wait_started
            self._start_errors.append(err)

    def wait_started(self) -> None:
        """Returns once every worker runs; if one could not start, stops the pool and raises why."""
        with self._start_lock:  # the first caller finishes the start; the others find it done
            for thread in self._starting:
                thread.join()
            if self._starting:
                self._starting = []
                if self._start_errors:
                    self.close()
                    raise self._start_errors[0]
                for w in self._workers:
                    self._handout.add(w)
            elif self._start_errors:
                raise ServiceUnavailable("the converter pool did not start") from self._start_errors[0]

    # --- Converter protocol -------------------------------------------------------------------

    def convert(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> bytes:
        return self.convert_with_pages(docx, tagged=tagged, caller=caller).pdf

    def convert_with_pages(self, docx: bytes, *, tagged: bool = True, caller: str = "") -> ConversionResult:
        check_docx(docx)
        if self._closed:
            raise ServiceUnavailable("the converter pool is closed")
        self.wait_started()
        if not self._waiting.acquire(blocking=False):
            raise ServiceUnavailable("the converter is busy: too many documents are waiting, retry shortly")
        try:
            try:
                worker = self._handout.take(caller, self.timeout)
            except HandoutTimeout as err:
                raise ServiceUnavailable(f"no converter was free within {self.timeout:.0f} s") from err
            try:
                return self._convert_on(worker, docx, tagged)
            finally:
                self._handout.give_back(worker)
        finally:
            self._waiting.release()

    def close(self) -> None:
        self._closed = True
        for w in self._workers:
            w.stop()
        if self._own_dir:
            shutil.rmtree(self.root, ignore_errors=True)

    # --- supervision ----------------------------------------------------------------------------

    def _convert_on(self, worker: Worker, docx: bytes, tagged: bool) -> ConversionResult:
        job = Path(tempfile.mkdtemp(prefix="job-", dir=self.root))
        try:
            src, dst = job / "in.docx", job / "out.pdf"
            src.write_bytes(docx)
            for attempt in (1, 2):
                if not worker.alive:
                    worker.start()
                try:
                    pages = worker.convert(src, dst, self.timeout, tagged=tagged)
                    break
                except _WorkerTimedOut as err:
                    worker.stop()
                    self._restart_quietly(worker)
                    raise ConversionFailed(
                        f"the conversion took longer than {self.timeout:.0f} s and was stopped"
                    ) from err
                except _WorkerDied as err:
                    worker.stop()
                    if attempt == 2:
                        self._restart_quietly(worker)
                        raise ConversionFailed("LibreOffice stopped during the conversion, twice") from err
            pdf = dst.read_bytes() if dst.exists() else b""
            if not pdf.startswith(b"%PDF-"):
                raise ConversionFailed("LibreOffice produced no PDF")
            return ConversionResult(pdf=pdf, pages=pages)
        finally:
            shutil.rmtree(job, ignore_errors=True)

    def _restart_quietly(self, worker: Worker) -> None:
        try:
            worker.start()
        except ConversionFailed:
            pass  # found dead at the next check-out and started again there

    def status(self) -> list[dict]:
        return [
            {"worker": w.index, "alive": w.alive, "conversions": w.conversions, "restarts": w.restarts,
             "pid": w.process.pid if w.process else None}
            for w in self._workers
        ]

    def __enter__(self) -> LibreOfficePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
