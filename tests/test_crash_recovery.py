"""kill -9 of the service in the middle of the pipeline leaves no half record after a restart."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request

import pytest

from tests.conftest import load_example, start_serve
from tests.waiting import wait_until

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
    work = tmp_path / "tmp"  # the service's temporary files: LibreOffice's job folders appear here
    work.mkdir()
    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data"), "FORMS_CONVERTER_WORKERS": "1",
           "FORMS_SIGNATURE_LEVEL": "B-B", "TMPDIR": str(work)}
    data = load_example("annex5-query-log")
    data["entries"] = data["entries"] * 40  # a few seconds of work
    proc, url, token = start_serve(env)
    try:
        posts = [threading.Thread(target=post, args=(url, token, data)) for _ in range(2)]
        for thread in posts:
            thread.start()
        # kill -9 once a conversion is under way: mid-pipeline, with the other request queued
        wait_until(lambda: list(work.glob("forms-lo-*/job-*")), timeout=60, what="a conversion to start")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        for thread in posts:
            thread.join(30)
    finally:
        if proc.poll() is None:
            proc.kill()

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
