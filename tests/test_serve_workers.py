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
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import cli_env, load_example

pytestmark = pytest.mark.integration


class Served:
    """``forms-service serve`` with its log read line by line: workers say when they are ready."""

    def __init__(self, data: Path, env: dict):
        self.data = data
        self.proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self.wait_for("listening on").split()[-1]
        self.token = Path(self.wait_for("demo token").split(" in ", 1)[1].split(" (")[0]).read_text().strip()
        self.workers: set[int] = set()

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


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("serve") / "data"
    served = Served(data, cli_env(data, FORMS_WEB_WORKERS="2", FORMS_SIGNATURE_LEVEL="B-B"))
    served.workers = {served.ready_worker(), served.ready_worker()}
    yield served
    served.stop()
    leftover = subprocess.run(["pgrep", "-f", str(data)], capture_output=True, text=True).stdout.split()
    assert leftover == []  # the store stopped with the service


def test_two_web_processes_share_the_masters_store_and_a_dead_one_is_replaced(served):
    data, workers = served.data, set(served.workers)
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


def _children(pid: int) -> list[tuple[int, str]]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append((int(entry.name), command))
    return found


def test_each_web_process_has_a_pdf_worker_process_of_its_own(served):
    web = [pid for pid, command in _children(served.proc.pid) if "forms_service.cli serve" in command]
    assert len(web) == 2
    deadline = time.monotonic() + 30  # started in the background as each web process starts
    while True:
        checkers = {pid: [c for c, command in _children(pid) if "forms_service.produce.pdf_worker" in command]
                    for pid in web}
        if all(len(found) == 1 for found in checkers.values()) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert all(len(found) == 1 for found in checkers.values()), checkers
    status, _ = served.call("POST", "/api/v1/forms/annex2-agreement/records", load_example("annex2-agreement"))
    assert status == 201


def test_each_web_process_lends_its_converter_and_a_long_register_is_made_on_both(served):
    web = sorted(pid for pid, command in _children(served.proc.pid) if "forms_service.cli serve" in command)
    folder = served.data / "run" / "converters"
    assert set(web) <= {int(path.stem) for path in folder.glob("*.sock")}
    data = load_example("annex5-query-log")
    base = data["entries"]
    data["entries"] = [dict(base[i % len(base)], note=f"R{i + 1}") for i in range(700)]
    status, body = served.call("POST", "/api/v1/forms/annex5-query-log/records", data)
    assert status == 201, body
    with urllib.request.urlopen(served.url + "/metrics", timeout=30) as response:
        metrics = response.read().decode()
    lent = [line for line in metrics.splitlines() if line.startswith('forms_converter_lent_total{outcome="ok"}')]
    assert lent and float(lent[0].split()[-1]) >= 1, lent  # chunks the other web process converted
    # The socket of the web process killed above went when its converter was last looked for.
    assert sorted(int(path.stem) for path in folder.glob("*.sock")) == web


def test_render_beside_a_running_serve_uses_its_warm_workers(served, tmp_path):
    source, out = tmp_path / "a2.json", tmp_path / "a2.pdf"
    source.write_text(json.dumps(load_example("annex2-agreement"), ensure_ascii=False), encoding="utf-8")
    env = cli_env(served.data)
    result = subprocess.run([sys.executable, "-m", "forms_service.cli", "render", "annex2-agreement", str(source),
                             "-o", str(out)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "(by the running service)" in result.stdout
    assert "Signature is Valid" in subprocess.run(["pdfsig", str(out)], capture_output=True, text=True).stdout

    bad = load_example("annex2-agreement")
    bad["representative"]["name"] = "王\uE000"  # a private-use character no font prints
    source.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "forms_service.cli", "render", "annex2-agreement", str(source),
                             "-o", str(tmp_path / "bad.pdf")], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2 and "representative.name" in result.stderr, result.stderr[-2000:]
    assert not (tmp_path / "bad.pdf").exists()


def test_the_local_routes_do_not_exist_over_tcp(served):
    request = urllib.request.Request(served.url + "/local/render/annex2-agreement", method="POST",
                                     data=json.dumps(load_example("annex2-agreement")).encode(),
                                     headers={"Content-Type": "application/json", "Accept": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 404


def test_one_web_process_runs_the_jobs_and_another_takes_over_when_it_dies(served):
    lock = served.data / "run" / "jobs.lock"

    def holder(other_than: int = 0, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = lock.read_text().strip() if lock.exists() else ""
            if text and int(text) != other_than and Path(f"/proc/{text}").exists():
                return int(text)
            time.sleep(0.2)
        raise AssertionError("no web process took the jobs")

    def batch_done() -> dict:
        status, created = served.call("POST", "/api/v1/batches",
                                      {"form": "annex2-agreement", "inputs": [load_example("annex2-agreement")]})
        assert status == 202
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            found = served.call("GET", created["links"]["self"])[1]
            if found["finished_at"]:
                return found
            time.sleep(0.3)
        raise AssertionError(f"the batch did not finish: {found['counts']}")

    first = holder()
    assert batch_done()["counts"]["done"] == 1
    os.kill(first, signal.SIGKILL)
    second = holder(other_than=first)
    done = batch_done()
    assert done["counts"]["done"] == 1
    assert second != first
