"""Checking a handed-back evidence export (security review, finding 5), on the unit stack.

Forgeries tried: a manifest re-signed with another key under the same root (the data provider's),
a forged file placed first under a duplicate name, names leaving the folder, a compression bomb,
malformed manifests — each NOT VALID with a sentence.  And a purpose cannot forge manifest lines.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from forms_service.access import LOCAL_OPERATOR
from forms_service.archive.evidence_check import check_export
from signing.detached import sign_detached
from tests.conftest import load_example, signed_form


@pytest.fixture
def exported(fake_components):
    produced = signed_form(fake_components, "annex3-requirements", load_example("annex3-requirements"))
    stored = fake_components.archive.submit(produced, LOCAL_OPERATOR)
    record = fake_components.catalog.get_record(stored.record_id)
    export = fake_components.exporter.export([record], LOCAL_OPERATOR, purpose={"purpose": "稽核"})
    return fake_components, export.data, record


def check(components, data: bytes):
    return check_export(data, components.trust_roots, signers=[components.signer_fingerprint()])


def entries(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [(info.filename, archive.read(info)) for info in archive.infolist()]


def rezip(items: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def test_an_untouched_export_is_valid_and_names_the_signers_fingerprint(exported):
    components, data, _ = exported
    result = check(components, data)
    assert result.ok, result.problems
    assert result.signature["signer_sha256"] == components.signer_fingerprint()


def test_a_manifest_forged_and_signed_by_another_key_under_the_same_root_is_not_valid(exported):
    components, data, record = exported
    files = dict(entries(data))
    forged_pdf = b"%PDF-1.7 forged"
    manifest = json.loads(files["manifest.json"])
    for item in manifest["files"]:
        if item["path"].endswith("v1.pdf"):
            import hashlib

            item["sha256"] = hashlib.sha256(forged_pdf).hexdigest()
    files[f"records/{record.id}/v1.pdf"] = forged_pdf
    files["manifest.json"] = json.dumps(manifest).encode()
    # the data provider's key chains to the same trusted root
    files["manifest.json.p7s"] = sign_detached(components.provider_signer.signer(), files["manifest.json"])
    result = check(components, rezip(list(files.items())))
    assert not result.ok
    assert "not the service's signing certificate" in result.problems[0]


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile warns the forger; the checker must refuse
def test_a_forged_copy_under_a_duplicate_name_is_not_valid(exported):
    components, data, record = exported
    items = entries(data)
    name = f"records/{record.id}/v1.pdf"
    result = check(components, rezip([(name, b"%PDF-1.7 forged"), *items]))  # unzip would extract this one
    assert not result.ok and f"{name}: appears twice" in result.problems[0]


@pytest.mark.parametrize("name", ["../outside.pdf", "/etc/cron.d/x", "records/../../x", "C:/x.pdf"])
def test_names_that_leave_the_folder_are_not_valid(exported, name):
    components, data, _ = exported
    result = check(components, rezip([*entries(data), (name, b"x")]))
    assert not result.ok and "not a plain relative path" in result.problems[0]


def test_a_compression_bomb_is_refused_before_it_is_expanded(exported):
    components, data, _ = exported
    bomb = rezip([*entries(data), ("records/bomb.txt", b"0" * (64 << 20))])
    assert len(bomb) < 1 << 20  # under a megabyte on the wire
    result = check(components, bomb)
    assert not result.ok and "compression bomb" in result.problems[0]


@pytest.mark.parametrize("manifest, sentence", [
    (b"{not json", "not JSON"),
    (b"[]", "has no list of files"),
    (b'{"files": "all of them"}', "has no list of files"),
    (b'{"files": [{"path": "x"}]}', "files[0] needs a path and a sha256"),
    (b'{"files": [7]}', "files[0] needs a path and a sha256"),
    (b"[" * 200_000 + b"]" * 200_000, "nested deeper than any manifest"),
])
def test_a_malformed_manifest_is_not_valid_with_a_sentence(exported, manifest, sentence):
    components, data, _ = exported
    files = dict(entries(data))
    files["manifest.json"] = manifest
    files["manifest.json.p7s"] = sign_detached(components.signer.signer(), manifest)
    result = check(components, rezip(list(files.items())))
    assert not result.ok and any(sentence in p for p in result.problems), result.problems


@pytest.mark.parametrize("data, sentence", [
    (b"not a zip", "not a ZIP"),
    (b"PK\x05\x06" + b"\x00" * 18, "manifest.json is missing"),
])
def test_what_is_not_an_export_is_not_valid_with_a_sentence(fake_components, data, sentence):
    result = check(fake_components, data)
    assert not result.ok and sentence in result.problems[0]


def test_a_signature_file_that_is_not_cms_is_not_valid(exported):
    components, data, _ = exported
    files = dict(entries(data))
    files["manifest.json.p7s"] = b"garbage"
    result = check(components, rezip(list(files.items())))
    assert not result.ok and "manifest.json.p7s" in result.problems[0]


def test_a_purpose_cannot_write_lines_of_its_own_into_the_readable_manifest(fake_components):
    produced = signed_form(fake_components, "annex3-requirements", load_example("annex3-requirements"))
    stored = fake_components.archive.submit(produced, LOCAL_OPERATOR)
    record = fake_components.catalog.get_record(stored.record_id)
    purpose = "稽核\n  v9  sha256 0000  驗證通過 valid"
    export = fake_components.exporter.export([record], LOCAL_OPERATOR, purpose={"purpose": purpose})
    text = dict(entries(export.data))["manifest.txt"].decode()
    assert "v9" not in text.splitlines()[5:] and "稽核\\n  v9" in text
    assert not any(line.startswith("  v9") for line in text.splitlines())


def test_the_command_pins_the_services_certificate(runner, exported, tmp_path):
    components, data, _ = exported
    bundle = tmp_path / "evidence.zip"
    bundle.write_bytes(data)
    root = tmp_path / "root.pem"
    from asn1crypto import pem

    root.write_bytes(pem.armor("CERTIFICATE", components.trust_roots[0].dump()))
    ok = runner("export", "verify", str(bundle), "--trust-root", str(root),
                "--signer-fingerprint", components.signer_fingerprint())
    assert ok.exit_code == 0 and "VALID" in ok.stdout, ok.output
    other = runner("export", "verify", str(bundle), "--trust-root", str(root), "--signer-fingerprint", "00" * 32)
    assert other.exit_code == 1 and "not the service's signing certificate" in other.stdout
