"""A private PostgreSQL cluster for the tests: initdb in a temporary directory, on a free port.

As root, initdb and pg_ctl refuse to run, so they run as the ``postgres`` user, in a directory
that user owns (outside the test run's private TMPDIR, which it cannot enter).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is missing: run ./dev setup (Debian package postgresql)")
    return found[-1]


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@contextmanager
def private_cluster() -> Iterator[str]:
    """Yields a SQLAlchemy URL of a fresh cluster; stops and removes it afterwards."""
    root = Path(tempfile.mkdtemp(prefix="forms-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = root / "data"
    try:
        subprocess.run(_as_postgres(_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                                    "--locale=C.UTF-8", "--no-sync"), check=True, capture_output=True)
        subprocess.run(_as_postgres(_bin("pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
                                    f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off", "start"),
                       check=True, capture_output=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres(_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
