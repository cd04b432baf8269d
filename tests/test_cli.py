"""The command line: render without a server, forms, schema, tokens; exit 2 on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, start_serve

CLI = [sys.executable, "-m", "forms_service.cli"]


def run(args, tmp_path, **kw):
    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run(CLI + args, capture_output=True, text=True, env=env, timeout=180, **kw)


def test_render_writes_a_signed_pdf(tmp_path):
    out = tmp_path / "out.pdf"
    result = run(["render", "annex2-agreement", str(EXAMPLES / "annex2-agreement.json"), "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert "signed" in result.stdout
    sig = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in sig


def test_render_with_invalid_input_exits_2_naming_the_field_and_writes_nothing(tmp_path):
    data = json.loads((EXAMPLES / "annex2-agreement.json").read_text(encoding="utf-8"))
    data["representative"]["name"] = ""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "out.pdf"
    result = run(["render", "annex2-agreement", str(bad), "-o", str(out)], tmp_path)
    assert result.returncode == 2
    assert "representative.name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob("out.pdf*"))


@pytest.mark.parametrize("content,message", [("{not json", "not valid JSON"), ("[]", "JSON object")])
def test_render_with_malformed_json_exits_2(tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = run(["render", "annex2-agreement", str(bad), "-o", str(tmp_path / "o.pdf")], tmp_path)
    assert result.returncode == 2 and message in result.stderr


def test_an_unknown_form_exits_2(tmp_path):
    result = run(["forms", "schema", "annex9"], tmp_path)
    assert result.returncode == 2 and "unknown form" in result.stderr


def test_forms_list_and_schema(tmp_path):
    listed = run(["forms", "list"], tmp_path)
    assert listed.returncode == 0 and "annex2-agreement" in listed.stdout and "附件2" in listed.stdout
    schema = json.loads(run(["forms", "schema", "annex2-agreement"], tmp_path).stdout)
    assert "representative" in schema["properties"]


def test_tokens_create_prints_a_token_that_the_catalog_knows(tmp_path):
    result = run(["tokens", "create", "--agency", "379000000A", "--role", "clerk"], tmp_path)
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("fst_")
    from forms_service.catalog import SqlCatalog
    from forms_service.tokens import hash_token

    catalog = SqlCatalog(f"sqlite:///{(tmp_path / 'data' / 'catalog.sqlite3').resolve()}")
    row = catalog.token_by_hash(hash_token(token))
    assert row is not None and row.role == "clerk" and row.agency == "379000000A"


def test_help_lists_the_commands(tmp_path):
    result = run(["--help"], tmp_path)
    for command in ("serve", "render", "forms", "tokens", "settings"):
        assert command in result.stdout


def test_serve_prints_its_url_and_a_demo_token_that_works_and_stops_cleanly_on_sigterm(tmp_path):
    import signal
    import urllib.request

    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data"), "FORMS_CONVERTER_WORKERS": "1"}
    proc, url, token = start_serve(env)
    try:
        request = urllib.request.Request(f"{url}/api/v1/records/rec_none", headers={"Authorization": f"Bearer {token}"})
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(request, timeout=10)
        assert missing.value.code == 404  # authenticated, and the record does not exist
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as health:
            assert json.load(health)["ok"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""


def test_commands_share_the_store_of_a_running_serve_and_leave_it_running(tmp_path):
    import signal
    import urllib.request

    env = {**os.environ, "FORMS_DATA_DIR": str(tmp_path / "data"), "FORMS_CONVERTER_WORKERS": "1"}
    proc, url, _token = start_serve(env)
    try:
        sealed = run(["audit", "seal"], tmp_path)
        assert sealed.returncode == 0 and "nothing to seal" in sealed.stdout, sealed.stderr
        checked = run(["audit", "verify", "--sealed"], tmp_path)
        assert checked.returncode == 0 and "sealed days: 0" in checked.stdout, checked.stderr
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as health:
            assert json.load(health)["ok"] is True  # serve's store was shared, not stopped
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""


def test_audit_verify_names_an_entry_edited_in_the_database(tmp_path):
    import sqlite3

    from forms_service.catalog import NewAuditEvent
    from forms_service.components import open_catalog
    from forms_service.settings import Settings

    catalog = open_catalog(Settings.load(environ={}, data_dir=tmp_path / "data"))
    for i in range(3):
        catalog.audit(NewAuditEvent(actor="clerk:1", action="record.download", record_id=f"rec_{i}"))
    catalog.close()
    assert run(["audit", "verify"], tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "data" / "catalog.sqlite3") as db:
        db.execute("UPDATE audit_events SET record_id = 'rec_x' WHERE id = 2")
    result = run(["audit", "verify"], tmp_path)
    assert result.returncode == 1 and "entry 2 (record.download" in result.stdout
