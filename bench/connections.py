"""An agreed connection on a running ``serve``, for the benches that post query events: its 附件1
(the example, for the given system) filed by the 申請介接單位, its 附件2 countersigned by the data
provider, acknowledged by the 資料使用單位 — then a system token bound to it."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys

from forms_service.forms import example_input


def _call(port: int, method: str, path: str, token: str, body: object = None) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    connection.request(method, path, body=data, headers={"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"})
    response = connection.getresponse()
    answer = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {answer[:400]!r}")
    return dict(json.loads(answer))


def _token(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "forms_service.cli", "tokens", "create", *args], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"tokens create {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


def system_token(port: int, env: dict, system: str) -> str:
    """A system token of the example's 資料使用單位, bound to a newly agreed connection of ``system``."""
    application = example_input("annex1-interface")
    application["host"]["system_name"] = system
    applicant, unit = application["applicant"]["code"], application["user_unit"]["code"]
    applicant_staff = _token(env, "--agency", applicant, "--role", "staff")
    root = _call(port, "POST", "/api/v1/forms/annex1-interface/records", applicant_staff, application)["record_id"]
    agreement = _call(port, "POST", "/api/v1/forms/annex2-agreement/records", applicant_staff,
                      {**example_input("annex2-agreement"), "related_record": root})["record_id"]
    _call(port, "POST", f"/api/v1/records/{agreement}/countersign", _token(env, "--agency", "A15000000E", "--role",
                                                                            "provider"))
    _call(port, "POST", f"/api/v1/connections/{root}/acknowledge", _token(env, "--agency", unit, "--role", "staff"))
    return _token(env, "--agency", unit, "--role", "system", "--connection", root)
