"""``serve`` runs several web processes on the embedded default; the master owns the store, so a
web process that dies is replaced and nothing else notices."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import cli_env, load_example

pytestmark = pytest.mark.integration


class Served:
    """``forms-service serve`` with its log read line by line: workers say when they are ready."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for("listening on").split()[-1]
        self.token = Path(self.wait_for("demo token").split(" in ", 1)[1].split(" (")[0]).read_text().strip()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 120) -> str:
        while True:
            line = self.lines.get(timeout=timeout)  # queue.Empty: the server never said it
            if text in line:
                return line

    def ready_worker(self) -> int:
        return int(self.wait_for("Forms Service ready in worker").split()[-1])

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.url + path, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.load(response)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def test_two_web_processes_share_the_masters_store_and_a_dead_one_is_replaced(tmp_path):
    data = tmp_path / "data"
    served = Served(cli_env(data, FORMS_WEB_WORKERS="2", FORMS_SIGNATURE_LEVEL="B-B"))
    try:
        workers = {served.ready_worker(), served.ready_worker()}
        assert len(workers) == 2
        endpoint = json.loads((data / "seaweedfs" / "endpoint.json").read_text())
        assert endpoint["owner"] == served.proc.pid  # the master's, not a worker's

        status, created = served.call("POST", "/api/v1/forms/annex2-agreement/records",
                                      load_example("annex2-agreement"))
        assert status == 201
        os.kill(workers.pop(), signal.SIGKILL)
        replacement = served.ready_worker()
        assert replacement not in workers

        for _ in range(6):  # whichever worker answers, the record is there
            status, record = served.call("GET", f"/api/v1/records/{created['record_id']}")
            assert status == 200 and record["record_id"] == created["record_id"]
        assert json.loads((data / "seaweedfs" / "endpoint.json").read_text()) == endpoint  # the same store
    finally:
        served.stop()
    leftover = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout.split()
    assert leftover == []  # the store stopped with the service
