"""Evidence files' names as people will read them: the file's own name, never a path, control or
format characters — a right-to-left override would make ``a‮gpj.exe`` read ``aexe.jpg``."""

from __future__ import annotations

import io

import pytest

from forms_service.connections.evidence_files import clean_name
from tests.conftest import bearer


@pytest.mark.parametrize("given, kept", [
    ("a\u202egpj.exe", "agpj.exe"),  # RIGHT-TO-LEFT OVERRIDE
    ("\u2067report\u2069.pdf", "report.pdf"),  # isolates
    ("掃描\u200b報告\u200f.pdf", "掃描報告.pdf"),  # zero-width space, right-to-left mark
    ("C:\\Users\\x\\弱點掃描.pdf", "弱點掃描.pdf"), ("../../etc/passwd", "passwd"), ("a\x00b\x1f:c.txt", "abc.txt"),
    ("林𡘙華的報告.pdf", "林𡘙華的報告.pdf"),  # an Ext-B character is a letter: kept
])
def test_a_file_name_keeps_only_what_reads_as_it_is(given, kept):
    assert clean_name(given) == kept


def test_an_uploaded_evidence_file_is_cited_and_served_under_its_clean_name(client, catalog, clock):
    provider = bearer(catalog, "A15000000E", "provider")
    unit = bearer(catalog, "379010000A", "staff")
    from datetime import datetime

    clock.at = datetime.fromisoformat("2027-03-01T02:00:00+00:00")
    audit_id = client.post("/api/v1/inspections", headers=provider, json={
        "agency": "379010000A", "audit_on": "116/04/15", "team": "陳稽核"}).json["id"]
    uploaded = client.post(f"/api/v1/inspections/{audit_id}/items/17/files", headers=unit,
                           data={"file": (io.BytesIO(b"%PDF-1.7 scan"), "a\u202egpj.exe", "application/pdf")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    [cited] = uploaded.json["evidence"]
    assert cited.endswith(":agpj.exe") and "\u202e" not in cited
    digest = cited.split(":")[1]
    served = client.get(f"/api/v1/inspections/{audit_id}/files/{digest}", headers=provider)
    assert "agpj.exe" in served.headers["Content-Disposition"] and "%E2%80%AE" not in served.headers[
        "Content-Disposition"]


def test_evidence_files_up_to_20_mib_are_taken_and_larger_ones_refused_by_name(client, catalog, clock):
    """A form's JSON is capped at 8 MiB; an evidence file at 20 MiB (a vendor's report), as docs/security.md says."""
    from datetime import datetime

    provider = bearer(catalog, "A15000000E", "provider")
    unit = bearer(catalog, "379010000A", "staff")
    clock.at = datetime.fromisoformat("2027-03-01T02:00:00+00:00")
    audit_id = client.post("/api/v1/inspections", headers=provider, json={
        "agency": "379010000A", "audit_on": "116/04/15", "team": "陳稽核"}).json["id"]

    def upload(size: int):
        return client.post(f"/api/v1/inspections/{audit_id}/items/17/files", headers=unit,
                           data={"file": (io.BytesIO(b"%PDF" + b"0" * (size - 4)), "report.pdf", "application/pdf")},
                           content_type="multipart/form-data")

    assert upload(12 << 20).status_code == 201
    too_big = upload((20 << 20) + 1)
    assert too_big.status_code == 400 and "超過 20 MB" in too_big.json["error"]["message"]
