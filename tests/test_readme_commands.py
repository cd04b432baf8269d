"""Every command the README documents, run as an operator would beside a running ``serve``.

One record goes through its life: created through the API with the demo token, then countersigned,
held, released, retained longer, its timestamp renewed, verified, exported and the export checked,
the archive read back, the audit log sealed and checked — each by the documented command.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest

from tests.conftest import cli_env, load_example, start_serve

pytestmark = pytest.mark.integration
CLI = [sys.executable, "-m", "forms_service.cli"]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data = tmp_path_factory.mktemp("readme") / "data"
    env = cli_env(data, FORMS_CONVERTER_WORKERS="1")
    proc, url, token = start_serve(env)
    yield env, url, token
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0


def forms_service(env, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(CLI + list(args), capture_output=True, text=True, env=env, timeout=180, input=input)


def test_the_documented_commands_work_on_a_record_through_its_life(service, tmp_path):
    env, url, token = service
    request = urllib.request.Request(
        f"{url}/api/v1/forms/annex2-agreement/records", data=json.dumps(load_example("annex2-agreement")).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        record_id = json.load(response)["record_id"]

    def ok(*args: str, expect: str = "", input: str | None = None) -> str:
        result = forms_service(env, *args, input=input)
        assert result.returncode == 0, f"forms-service {' '.join(args)}:\n{result.stdout}\n{result.stderr[-2000:]}"
        assert expect in result.stdout, result.stdout
        return result.stdout

    ok("countersign", record_id, expect="countersigned as version 2")
    ok("records", "hold", record_id, "--reason", "臺北地院 115 年度訴字第 1 號", expect="legal hold placed on 2")
    ok("records", "release", record_id, "--reason", "判決確定", expect="legal hold lifted")
    ok("records", "retain", record_id, "--until", "2040-12-31", "--reason", "稽核", expect="kept until 2040-12-31")
    ok("signatures", "renew", "--within", "36500", expect=f"{record_id}: timestamp expiring")
    evidence = tmp_path / "evidence.zip"
    ok("export", "create", record_id, "--purpose", "稽核", "-o", str(evidence), expect="1 record(s)")
    ok("export", "verify", str(evidence), expect="VALID")
    ok("archive", "verify", expect="all present and intact")
    ok("storage", "info", expect="embedded SeaweedFS")
    ok("disposition", "list", expect="0 record(s) may be disposed of")
    ok("audit", "seal", "--through", "2000-01-01", expect="nothing to seal")
    ok("audit", "verify", "--sealed", expect="audit log intact")
    ok("users", "create", "--username", "alice", "--agency", "379000000A", "--role", "clerk",
       input="correct horse battery\ncorrect horse battery\n", expect="user alice (clerk, 379000000A) created")
    ok("tokens", "create", "--agency", "379000000A", "--role", "staff", expect="fst_")
    ok("settings", expect="FORMS_DATA_DIR")

    with urllib.request.urlopen(urllib.request.Request(
            f"{url}/api/v1/records/{record_id}/pdf", headers={"Authorization": f"Bearer {token}"}), timeout=30) as pdf:
        (tmp_path / "latest.pdf").write_bytes(pdf.read())
    assert "VALID" in ok("verify", str(tmp_path / "latest.pdf"))

    refused = forms_service(env, "disposition", "request", record_id, "--by", "王小明", "--reason", "保存期限屆滿")
    assert refused.returncode == 1 and "still under retention" in refused.stderr  # the store keeps it until 2040
    not_empty = forms_service(env, "catalog", "rebuild")
    assert not_empty.returncode == 2 and "not empty" in not_empty.stderr
