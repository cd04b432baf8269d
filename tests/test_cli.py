"""The command line: render without a server, forms, schema, tokens, audit; exit 2 on bad input.

In-process through Click's ``CliRunner`` (the ``runner`` fixture) where no real process is
needed; ``serve`` and a full render run as real processes.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from forms_service.access.tokens import hash_token
from forms_service.catalog import NewAuditEvent, NewRecord, NewVersion
from forms_service.components import open_catalog
from forms_service.forms import get_form
from forms_service.repositories import SqlCatalog
from forms_service.settings import Settings
from tests.conftest import cli_env, load_example, start_serve

CLI = [sys.executable, "-m", "forms_service.cli"]


def write_json(path, data) -> str:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.mark.integration  # LibreOffice, the demo PKI, a real process
def test_render_writes_a_signed_pdf(tmp_path):
    out = tmp_path / "out.pdf"
    source = write_json(tmp_path / "a2.json", load_example("annex2-agreement"))
    result = subprocess.run(CLI + ["render", "annex2-agreement", source, "-o", str(out)], capture_output=True,
                            text=True, env=cli_env(tmp_path / "data"), timeout=180)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"%PDF-")
    assert "signed" in result.stdout
    sig = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in sig


def test_render_with_invalid_input_exits_2_naming_the_field_and_writes_nothing(runner, tmp_path):
    data = load_example("annex2-agreement")
    data["representative"]["name"] = ""
    out = tmp_path / "out.pdf"
    result = runner("render", "annex2-agreement", write_json(tmp_path / "bad.json", data), "-o", str(out))
    assert result.exit_code == 2
    assert "representative.name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob("out.pdf*"))


@pytest.mark.parametrize("content,message", [("{not json", "not valid JSON"), ("[]", "送出的內容不是一份表單"),
                                             ("[" * 50_000 + "]" * 50_000, "nests 50000 levels deep")])
def test_render_with_malformed_json_exits_2(runner, tmp_path, content, message):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    result = runner("render", "annex2-agreement", str(bad), "-o", str(tmp_path / "o.pdf"))
    assert result.exit_code == 2 and message in result.stderr


def test_render_reads_standard_input(runner, tmp_path):
    result = runner("render", "annex2-agreement", "-", "-o", str(tmp_path / "o.pdf"), input="{oops")
    assert result.exit_code == 2 and "not valid JSON" in result.stderr


@pytest.mark.integration  # LibreOffice, the demo PKI, a real process
def test_render_batch_produces_the_good_items_and_names_each_refusal(tmp_path):
    """A directory with two good inputs, one with a bad date and one not JSON; then a JSON-lines
    file mixing forms, an unknown form among them."""
    source = tmp_path / "in"
    source.mkdir()
    example = load_example("annex2-agreement")
    write_json(source / "taipei.json", {"form": "annex2-agreement", "input": example})
    write_json(source / "tainan.json", example)  # a plain input of the FORM_ID given
    write_json(source / "bad-date.json", {"form": "annex2-agreement",
                                          "input": {**example, "period": {**example["period"], "end": "115/13/40"}}})
    (source / "broken.json").write_text("{not json")
    out = tmp_path / "out"
    result = subprocess.run(CLI + ["render", "annex2-agreement", "--batch", str(source), "-o", str(out)],
                            capture_output=True, text=True, env=cli_env(tmp_path / "data"), timeout=300)
    assert result.returncode == 2, result.stdout + result.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["tainan.pdf", "taipei.pdf"]  # nothing half-written
    for pdf in out.iterdir():
        assert "Signature is Valid" in subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    lines = result.stdout.splitlines()
    assert any(line.startswith("bad-date: refused:") and "period.end" in line for line in lines), lines
    assert any(line.startswith("broken: refused:") and "not valid JSON" in line for line in lines), lines
    assert lines[-1].startswith("4 item(s): 2 ok, 2 refused, 0 failed")
    assert "rendering" in result.stderr  # the progress bar

    jsonl = tmp_path / "items.jsonl"
    jsonl.write_text("\n".join(json.dumps(item, ensure_ascii=False) for item in [
        {"form": "annex3-requirements", "input": load_example("annex3-requirements"), "name": "要求"},
        {"form": "annex9", "input": {}},
    ]) + "\n", encoding="utf-8")
    result = subprocess.run(CLI + ["render", "--batch", str(jsonl), "-o", str(tmp_path / "out2")],
                            capture_output=True, text=True, env=cli_env(tmp_path / "data"), timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert [p.name for p in (tmp_path / "out2").iterdir()] == ["要求.pdf"]
    assert any(line.startswith("line-00002: refused:") and "unknown form" in line
               for line in result.stdout.splitlines()), result.stdout


def test_render_batch_of_only_bad_items_starts_nothing_and_exits_2(runner, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    (source / "a.json").write_text("[]")
    result = runner("render", "--batch", str(source), "-o", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert "1 item(s): 0 ok, 1 refused, 0 failed" in result.stdout
    assert not (tmp_path / "out").exists()


def test_an_unknown_form_exits_2(runner):
    result = runner("forms", "schema", "annex9")
    assert result.exit_code == 2 and "unknown form" in result.stderr


def test_forms_list_schema_and_example(runner):
    listed = runner("forms", "list")
    assert listed.exit_code == 0 and "annex2-agreement" in listed.stdout and "附件2" in listed.stdout
    schema = json.loads(runner("forms", "schema", "annex2-agreement").stdout)
    assert "representative" in schema["properties"]
    assert json.loads(runner("forms", "example", "annex2-agreement").stdout) == load_example("annex2-agreement")


def test_tokens_create_prints_a_token_that_the_catalog_knows(runner):
    result = runner("tokens", "create", "--agency", "379000000A", "--role", "clerk")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("fst_")
    catalog = SqlCatalog(f"sqlite:///{(runner.data_dir / 'catalog.sqlite3').resolve()}")
    row = catalog.token_by_hash(hash_token(token), now=datetime.now(timezone.utc))
    assert row is not None and row.role == "clerk" and row.agency == "379000000A"


def test_an_unknown_role_is_a_usage_error(runner):
    result = runner("tokens", "create", "--agency", "379000000A", "--role", "chief")
    assert result.exit_code == 2 and "chief" in result.stderr


def test_users_create_asks_for_the_password_twice_and_refuses_a_short_one(runner):
    made = runner("users", "create", "--username", "alice", "--agency", "379000000A",
                  input="correct horse battery\ncorrect horse battery\n")
    assert made.exit_code == 0 and "user alice (clerk, 379000000A) created" in made.stdout
    short = runner("users", "create", "--username", "bob", "--agency", "379000000A", "--password", "short")
    assert short.exit_code == 2 and "12 characters" in short.stderr


def test_help_lists_the_commands(runner):
    result = runner("--help")
    for command in ("serve", "render", "forms", "tokens", "settings", "records", "archive", "audit", "export"):
        assert command in result.stdout


def test_settings_lists_every_variable_with_secrets_masked(runner):
    result = runner("settings", env={"FORMS_S3_SECRET_KEY": "hunter2"})
    assert result.exit_code == 0
    assert "FORMS_PROVIDER_NAME" in result.stdout and "hunter2" not in result.stdout and "••••" in result.stdout


def test_a_bad_date_option_exits_2_naming_the_option(runner):
    result = runner("records", "retain", "rec_x", "--until", "115/02/30", "--reason", "x")
    assert result.exit_code == 2 and "--until" in result.stderr


def test_audit_verify_names_an_entry_edited_in_the_database(runner):
    import sqlite3

    from forms_service.components import open_catalog
    from forms_service.settings import Settings

    catalog = open_catalog(Settings.load(environ={}, data_dir=runner.data_dir))
    for i in range(3):
        catalog.audit(NewAuditEvent(actor="clerk:1", action="record.download", record_id=f"rec_{i}"))
    catalog.close()
    assert runner("audit", "verify").exit_code == 0
    with sqlite3.connect(runner.data_dir / "catalog.sqlite3") as db:
        db.execute("UPDATE audit_events SET record_id = 'rec_x' WHERE id = 2")
    result = runner("audit", "verify")
    assert result.exit_code == 1 and "entry 2 (record.download" in result.stdout


@pytest.mark.integration
def test_serve_prints_its_url_and_a_demo_token_that_works_and_stops_cleanly_on_sigterm(tmp_path):
    from storage.seaweed import free_port

    reader_port = free_port()
    proc, url, token = start_serve(cli_env(tmp_path / "data", FORMS_CONVERTER_WORKERS="1",
                                           FORMS_DEMO_CARD_READER_PORT=str(reader_port)))
    # the output is a pipe here, as a log would be: the token is in a private file, not in it
    token_file = tmp_path / "data" / "demo-token"
    assert token_file.read_text().strip() == token and (token_file.stat().st_mode & 0o077) == 0
    try:
        request = urllib.request.Request(f"{url}/api/v1/records/rec_none", headers={"Authorization": f"Bearer {token}"})
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(request, timeout=10)
        assert missing.value.code == 404  # authenticated, and the record does not exist
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as health:
            assert json.load(health)["ok"] is True
        for _ in range(6):  # spread over the web processes
            urllib.request.urlopen(f"{url}/livez", timeout=10).close()
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as scraped:
            families = {f.name: f for f in text_string_to_metric_families(scraped.read().decode())}
        answered = {(s.labels["route"], s.labels["status"]): s.value for s in families["forms_http_requests"].samples
                    if s.name == "forms_http_requests_total"}
        assert answered[("/livez", "200")] == 6  # the web processes' samples added up
        assert answered[("/api/v1/records/<record_id>", "404")] == 1
        # the demo's card reader (the LocalSignServer stand-in) runs beside it
        with urllib.request.urlopen(f"http://127.0.0.1:{reader_port}/selfTest.htm", timeout=10) as reader:
            assert "元件運作正常" in reader.read().decode()
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
        assert proc.returncode == 0
    assert token not in output and "fst_" not in output
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""
    with pytest.raises(OSError):  # the card reader stopped with it
        urllib.request.urlopen(f"http://127.0.0.1:{reader_port}/selfTest.htm", timeout=5)
    # A quiet console: the service's own lines, no library's INFO lines nor warnings.
    logged = (tmp_path / "serve-stderr.log").read_text()
    assert "Forms Service ready in worker" in logged
    assert not [line for line in logged.splitlines() if NOISE.search(line)], logged


# A library's INFO or DEBUG line, or a warning, as they would reach a console.
NOISE = re.compile(r" (INFO|DEBUG) (?!(forms_service|signing|storage)\b)|\[INFO\]|Warning|warnings\.warn")


@pytest.mark.integration  # each command is a process of its own, as a person runs it
@pytest.mark.parametrize("args", [("due", "--within", "1"), ("forms", "example", "annex2-agreement"),
                                  ("tokens", "list"), ("settings",), ("audit", "verify")])
def test_a_command_shows_only_its_own_lines(tmp_path, args):
    done = subprocess.run(CLI + list(args), capture_output=True, text=True, env=cli_env(tmp_path / "data"),
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert not NOISE.search(done.stderr + done.stdout), done.stderr
    verbose = subprocess.run(CLI + ["-v", *args], capture_output=True, text=True, env=cli_env(tmp_path / "more"),
                             timeout=120)
    if args[0] in ("due", "tokens", "audit"):  # they open (and migrate) a catalog: -v shows alembic's lines
        assert "INFO alembic" in verbose.stderr


@pytest.mark.integration
def test_commands_share_the_store_of_a_running_serve_and_leave_it_running(tmp_path):
    env = cli_env(tmp_path / "data", FORMS_CONVERTER_WORKERS="1")
    proc, url, _token = start_serve(env)
    try:
        sealed = subprocess.run(CLI + ["audit", "seal"], capture_output=True, text=True, env=env, timeout=120)
        assert sealed.returncode == 0 and "nothing to seal" in sealed.stdout, sealed.stderr
        checked = subprocess.run(CLI + ["audit", "verify", "--sealed"], capture_output=True, text=True, env=env,
                                 timeout=120)
        assert checked.returncode == 0 and "sealed days: 0" in checked.stdout, checked.stderr
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as health:
            assert json.load(health)["ok"] is True  # serve's store was shared, not stopped
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path / "data")], capture_output=True, text=True).stdout
    assert leftovers.strip() == ""


def test_render_of_a_source_open_to_all_exits_2_naming_it(runner, tmp_path):
    data = load_example("annex1-interface")
    data["security"]["source_ips"] = ["::/0"]
    result = runner("render", "annex1-interface", write_json(tmp_path / "in.json", data), "-o", str(tmp_path / "o.pdf"))
    assert result.exit_code == 2 and "security.source_ips[0]" in result.stderr and "六(一)2(3)" in result.stderr


def test_render_checks_a_related_record_in_its_data_directory(runner, tmp_path):
    """The 附件1 named by related_record is read from the catalog of the data directory: a form that
    disagrees with it, or names a record that is not there, exits 2 naming the fields."""
    application = get_form("annex1-interface").validate(load_example("annex1-interface"))
    now = datetime.now(timezone.utc)
    record_id = "rec_" + "1" * 32
    catalog = open_catalog(Settings.load(environ={}, data_dir=runner.data_dir))
    catalog.add_record(
        NewRecord(id=record_id, form_id="annex1-interface", agency_name="臺北市政府財政局", agency_code="379000000A",
                  user_unit_name="臺北市稅捐稽徵處", title="附件1", period_start=None, period_end=None,
                  input=application.model_dump(mode="json"), created_at=now, created_by="test"),
        NewVersion(number=1, object_key="records/x/v1.pdf", object_version="v1", sha256="a" * 64, size=10, pages=1,
                   signatures=1, signature_report=[], retention_mode="GOVERNANCE",
                   retain_until=now + timedelta(days=400), created_at=now),
        NewAuditEvent(actor="test", action="record.create", record_id=record_id, agency="379000000A"),
    )
    catalog.close()
    data = {**load_example("annex2-agreement"), "related_record": record_id, "legal_basis": "房屋稅條例第1條"}
    result = runner("render", "annex2-agreement", write_json(tmp_path / "a.json", data), "-o", str(tmp_path / "o.pdf"))
    assert result.exit_code == 2 and "legal_basis" in result.stderr and "與介接案附件1 所載不同" in result.stderr
    data["related_record"] = "rec_" + "2" * 32
    result = runner("render", "annex2-agreement", write_json(tmp_path / "b.json", data), "-o", str(tmp_path / "o.pdf"))
    assert result.exit_code == 2 and "related_record" in result.stderr and "找不到此紀錄" in result.stderr
    assert not (tmp_path / "o.pdf").exists()


@pytest.mark.integration
def test_json_logs_carry_the_request_id(tmp_path):
    env = cli_env(tmp_path / "data", FORMS_CONVERTER_WORKERS="1", FORMS_WEB_WORKERS="1", FORMS_LOG_FORMAT="json")
    proc, url, _token = start_serve(env)
    try:
        request = urllib.request.Request(f"{url}/livez", headers={"X-Request-ID": "lb-json-1"})
        with urllib.request.urlopen(request, timeout=10) as answered:
            assert answered.headers["X-Request-ID"] == "lb-json-1"
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    output += (tmp_path / "serve-stderr.log").read_text()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line.get("request_id") == "lb-json-1"]
    assert access["path"] == "/livez" and access["status"] == 200 and access["method"] == "GET"
    assert any(line["logger"].startswith("gunicorn") for line in lines)  # gunicorn's own lines too
