"""Evidence export: the ZIP's contents, its signed manifest, tamper detection, scoping, the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile

import pytest
from click.testing import CliRunner

from forms_service import cli
from forms_service.access import LOCAL_OPERATOR, Actor, Role
from forms_service.access.tokens import create_token
from forms_service.archive.evidence_check import check_export
from forms_service.archive.signatures import countersign
from tests.conftest import load_example, signed_form

PROVIDER = Actor(id="test:provider", agency="315000000H", role=Role.PROVIDER)


@pytest.fixture
def two_records(app_components):
    """An annex2 record (agency 379000000A) countersigned into two versions, and one of another agency."""
    produced = signed_form(app_components, "annex2-agreement", load_example("annex2-agreement"))
    first = app_components.archive.submit(produced, LOCAL_OPERATOR)
    countersign(app_components.archive, app_components.countersigner, first.record_id, PROVIDER,
                provider_name=app_components.settings.provider_name)
    other_input = load_example("annex3-requirements")
    other_input["applicant"] = {"name": "臺中市政府", "code": "387000000A"}
    other = app_components.archive.submit(signed_form(app_components, "annex3-requirements", other_input),
                                          LOCAL_OPERATOR)
    return app_components.catalog.get_record(first.record_id), app_components.catalog.get_record(other.record_id)


def _export(client, token, ids, **extra):
    return client.post("/api/v1/exports", json={"records": ids, **extra},
                       headers={"Authorization": f"Bearer {token}", "X-Purpose": "訴訟", "X-Case-Number": "115-訴-42"})


def test_an_export_holds_every_version_its_reports_and_a_signed_manifest(real_client, catalog, app_components,
                                                                         two_records):
    record, _ = two_records
    token = create_token(catalog, agency=record.agency_code or record.agency_name, role="clerk")
    response = _export(real_client, token, [record.id])
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    for version in record.versions:
        pdf = archive.read(f"records/{record.id}/v{version.number}.pdf")
        assert hashlib.sha256(pdf).hexdigest() == version.sha256
        report = json.loads(archive.read(f"records/{record.id}/v{version.number}.verification.json"))
        assert report["ok"] is True
        assert f"records/{record.id}/v{version.number}.verification.txt" in names
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["purpose"] == {"purpose": "訴訟", "case_no": "115-訴-42"}
    assert {f["path"] for f in manifest["files"]} == names - {"manifest.json", "manifest.json.p7s"}
    assert "115-訴-42" in archive.read("manifest.txt").decode()
    result = check_export(response.data, app_components.trust_roots,
                          signers=[app_components.signer_fingerprint()])
    assert result.ok, result.problems
    assert result.signature["trusted"] and result.signature["timestamp"]
    event = next(e for e in catalog.audit_events() if e.action == "evidence.export")
    assert event.detail["records"] == [record.id]
    assert event.detail["manifest_sha256"] == response.headers["X-Manifest-SHA256"]


def test_openssl_verifies_the_manifest_signature(real_client, catalog, app_components, two_records, tmp_path):
    record, _ = two_records
    admin = create_token(catalog, agency="000000000D", role="admin")
    response = _export(real_client, admin, [record.id], latest_only=True)
    zipfile.ZipFile(io.BytesIO(response.data)).extractall(tmp_path)
    root = app_components.settings.data_dir / "pki" / "demo-root.pem"
    result = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in",
                             tmp_path / "manifest.json.p7s",
                             "-content", tmp_path / "manifest.json", "-CAfile", root, "-purpose", "any",
                             "-out", "/dev/null"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert len(json.loads((tmp_path / "manifest.json").read_text())["records"][0]["versions"]) == 1


def _rewrite(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    files = {name: source.read(name) for name in source.namelist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, content in files.items():
            target.writestr(name, content)
    return out.getvalue()


def test_a_changed_missing_or_added_file_or_manifest_is_named(real_client, catalog, app_components, two_records):
    record, _ = two_records
    data = _export(real_client, create_token(catalog, agency="000000000D", role="admin"), [record.id]).data
    pdf = f"records/{record.id}/v1.pdf"
    roots = app_components.trust_roots
    pinned = [app_components.signer_fingerprint()]

    def swap_pdf(files):
        files[pdf] = files[pdf].replace(b"%%EOF", b"%%EOF\n%", 1)

    def check(bundle):
        return check_export(bundle, roots, signers=pinned)

    assert check(_rewrite(data, swap_pdf)).problems == [f"{pdf}: its sha256 differs from the manifest"]
    assert check(_rewrite(data, lambda f: f.pop(pdf))).problems == [f"{pdf}: listed in the manifest but missing"]
    extra = check(_rewrite(data, lambda f: f.update({"records/extra.pdf": b"%PDF"})))
    assert extra.problems == ["records/extra.pdf: not listed in the manifest"]

    def edit_manifest(files):
        files["manifest.json"] = files["manifest.json"].replace(b'"legal_hold": false', b'"legal_hold": true ', 1)

    assert "manifest.json: the signature does not verify" in check(_rewrite(data, edit_manifest)).problems
    untrusted = check_export(data, [], signers=pinned)
    assert not untrusted.ok and "not trusted" in untrusted.problems[0]


def test_another_agencys_record_fails_the_export_and_is_logged(real_client, catalog, two_records):
    mine, theirs = two_records
    token = create_token(catalog, agency=mine.agency_code or mine.agency_name, role="clerk")
    response = _export(real_client, token, [mine.id, theirs.id])
    assert response.status_code == 404
    assert not any(e.action == "evidence.export" for e in catalog.audit_events())
    assert any(e.action == "record.read" and e.outcome == "refused" and e.record_id == theirs.id
               for e in catalog.audit_events())


@pytest.mark.parametrize("body, field", [({}, "records"), ({"records": "x"}, "records"), ({"records": []}, "records"),
                                         ({"records": ["a"], "latest_only": "yes"}, "latest_only")])
def test_a_bad_export_request_names_the_field(client, catalog, body, field):
    token = create_token(catalog, agency="000000000D", role="admin")
    response = client.post("/api/v1/exports", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and response.json["error"]["field"] == field


def test_the_cli_exports_and_verifies(app_components, two_records, tmp_path, monkeypatch):
    record, other = two_records
    monkeypatch.setattr("forms_service.components.start_components", lambda *a, **k: app_components)
    monkeypatch.setenv("FORMS_DATA_DIR", str(app_components.settings.data_dir))
    out = tmp_path / "evidence.zip"
    runner = CliRunner()
    created = runner.invoke(cli.main, ["export", "create", record.id, other.id, "--purpose", "稽核", "-o", str(out)])
    assert created.exit_code == 0, created.output
    assert "2 record(s)" in created.output
    checked = runner.invoke(cli.main, ["export", "verify", str(out)])
    assert checked.exit_code == 0 and "VALID" in checked.output, checked.output
    out.write_bytes(_rewrite(out.read_bytes(), lambda f: f.update({"records/extra.pdf": b"%PDF"})))
    broken = runner.invoke(cli.main, ["export", "verify", str(out)])
    assert broken.exit_code == 1 and "records/extra.pdf: not listed" in broken.output
    nothing = runner.invoke(cli.main, ["export", "create", "-o", str(out)])
    assert nothing.exit_code == 2
    bad_date = runner.invoke(cli.main, ["export", "create", "--from", "115/13/01", "-o", str(out)])
    assert bad_date.exit_code == 2 and "--from" in bad_date.output
    by_agency = runner.invoke(cli.main, ["export", "create", "--agency", "387000000A", "--latest-only", "-o", str(out)])
    assert by_agency.exit_code == 0 and "1 record(s)" in by_agency.output, by_agency.output
