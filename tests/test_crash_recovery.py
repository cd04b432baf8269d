"""kill -9 of the service in the middle of the pipeline leaves no half record after a restart."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from tests.conftest import descendants, load_example, start_serve

CLI = [sys.executable, "-m", "forms_service.cli"]
pytestmark = pytest.mark.integration


def post(url, token, body):
    request = urllib.request.Request(f"{url}/api/v1/forms/annex5-query-log/records", data=json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=60)
    except (urllib.error.URLError, ConnectionError):  # the server dies under this request: that is the point
        pass


def test_a_killed_service_leaves_no_half_record_and_the_archive_reconciles(tmp_path):
    """GIVEN two long registers posted at once, WHEN the service is killed (-9) while signing the
    first — the test holds the time-stamping authority's connection, so it knows the moment —
    and the second is converting or waiting, THEN after a restart there is no half record and the
    archive reconciles."""
    tsa = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    tsa.settimeout(120)
    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data"), "FORMS_CONVERTER_WORKERS": "1",
           "FORMS_SIGNATURE_LEVEL": "B-T", "FORMS_TSA_URL": f"http://127.0.0.1:{tsa.getsockname()[1]}/tsa"}
    data = load_example("annex5-query-log")
    data["entries"] = data["entries"] * 40  # a few seconds of work
    proc, url, token = start_serve(env)
    try:
        posts = [threading.Thread(target=post, args=(url, token, data)) for _ in range(2)]
        for thread in posts:
            thread.start()
        held, _ = tsa.accept()  # the first register is converted and being signed
        # The whole service at once, as a power cut would: the master, its web workers and theirs.
        for pid in [proc.pid, *descendants(proc.pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(10)
        held.close()
        for thread in posts:
            thread.join(30)
    finally:
        tsa.close()
        if proc.poll() is None:
            proc.kill()

    env = {k: v for k, v in env.items() if k not in ("FORMS_SIGNATURE_LEVEL", "FORMS_TSA_URL")}
    proc, url, token = start_serve(env)  # a restart stops what the killed service left running
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as health:
            assert json.load(health)["ok"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)

    database = sqlite3.connect(tmp_path / "data" / "catalog.sqlite3")
    half = database.execute(
        "SELECT COUNT(*) FROM records r WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.record_id = r.id)"
    ).fetchone()[0]
    assert half == 0
    repaired = subprocess.run(CLI + ["archive", "verify", "--repair"], capture_output=True, text=True, env=env,
                              timeout=120)
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr[-2000:]
