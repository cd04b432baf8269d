"""The formats kept for years, pinned to known bytes: v1 samples in ``tests/formats/v1/``, written
once by the code that wrote them in production and committed.

Each is checked both ways: today's writer must produce the sample's exact bytes from the same
values (so no change slips into what is written), and today's reader must read the sample (so
what was written years ago can still be read).  A deliberate change of a format is a new version
(``…/2``) with its own samples; the v1 samples stay, and so does the reading of them.

- the audit chain's hashes (``audit/chain.py``) and a sealed day (``audit/seals.py``),
- the archive entry beside each stored PDF (``archive/entry.py``),
- a closed month of query events (``querylog/close.py``),
- an evidence export's manifest (``archive/evidence.py``), read back by ``evidence_check``,
- a person's password hash (``access/users.py``), in both its forms.
"""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from forms_service.archive.entry import read_entry, write_entry
from forms_service.archive.evidence import MANIFEST, SIGNATURE, write_manifest
from forms_service.archive.evidence_check import check_export
from forms_service.audit.chain import GENESIS, entry_hash
from forms_service.audit.seals import chain_problems, read_segment, segment_bytes
from forms_service.catalog import AuditEvent, NewRecord, NewVersion
from forms_service.querylog.close import month_segment_bytes
from forms_service.querylog.values import QueryEvent

V1 = Path(__file__).parent / "formats" / "v1"
UTC = timezone.utc


# --- the values each sample was written from -----------------------------------------------------

def audit_entries() -> list[dict]:
    """Three entries of one Taipei day: a filing, a refused retrieval, a read with no version."""
    return [
        {"id": 41, "at": datetime(2026, 11, 26, 16, 0, 0, 1, tzinfo=UTC), "actor": "user:sara",
         "agency": "379000000A", "action": "record.create", "outcome": "ok",
         "record_id": "rec_" + "a" * 32, "version": 1, "source_ip": "10.1.2.3",
         "detail": {"form_id": "annex2-agreement", "title": "附件2 商工資料使用安全約定書（臺北市政府財政局）"}},
        {"id": 42, "at": datetime(2026, 11, 27, 1, 2, 3, 456789, tzinfo=UTC), "actor": "token:7",
         "agency": "387000000A", "action": "record.read", "outcome": "refused",
         "record_id": "rec_" + "a" * 32, "version": None, "source_ip": "2001:db8::1",
         "detail": {"reason": "另一機關之紀錄", "path": "/api/v1/records/rec_…"}},
        {"id": 43, "at": datetime(2026, 11, 27, 15, 59, 59, 999999, tzinfo=UTC), "actor": "cli:local",
         "agency": "", "action": "record.pdf", "outcome": "ok", "record_id": "rec_" + "a" * 32,
         "version": None, "source_ip": "", "detail": {}},
    ]


def audit_events(hashes: list[str]) -> list[AuditEvent]:
    previous = [GENESIS, *hashes[:-1]]
    return [AuditEvent(**fields, prev_hash=prev, hash=hashed)
            for fields, prev, hashed in zip(audit_entries(), previous, hashes, strict=True)]


def archive_entry() -> tuple[NewRecord, NewVersion]:
    record = NewRecord(
        id="rec_" + "b" * 32, form_id="annex2-agreement", agency_name="臺北市政府財政局", agency_code="379000000A",
        user_unit_name="臺北市稅捐稽徵處", title="附件2 商工資料使用安全約定書（臺北市政府財政局）",
        period_start=date(2026, 1, 1), period_end=date(2027, 12, 31),
        input={"party": {"name": "臺北市政府財政局", "code": "379000000A"}, "purpose": "稅捐稽徵", "表": ["𡘙"]},
        created_at=datetime(2026, 11, 27, 2, 5, 0, tzinfo=UTC), created_by="user:sara", subjects=("22099131",),
        connection_id="rec_" + "c" * 32, user_unit_code="379010000A", system_name="稅務資料整合查詢系統",
        signing_order=("party", "provider"),
    )
    version = NewVersion(
        number=1, object_key="records/379000000A/rec_" + "b" * 32 + "/v1.pdf", object_version="v-0001",
        sha256="0" * 64, size=123456, pages=2, signatures=1,
        signature_report=[{"kind": "signature", "field": "party", "level": "B-LTA", "ok": True}],
        retention_mode="COMPLIANCE", retain_until=datetime(2038, 1, 1, tzinfo=UTC),
        created_at=datetime(2026, 11, 27, 2, 5, 1, tzinfo=UTC), reason="created",
        revision_hashes=("1" * 64,), pdfa={"valid": True, "profile": "PDF/A-2B"},
    )
    return record, version


def query_events() -> list[QueryEvent]:
    return [
        QueryEvent(agency="379010000A", system="稅務資料整合查詢系統", event_id="evt-1",
                   at=datetime(2026, 11, 3, 1, 15, tzinfo=UTC),
                   data={"querier": "tp-lee", "business_id": "22099131", "purpose": "營業稅查核"},
                   id=1, received_at=datetime(2026, 11, 3, 1, 15, 2, tzinfo=UTC), received_by="token:9"),
        QueryEvent(agency="379010000A", system="稅務資料整合查詢系統", event_id="evt-2",
                   at=datetime(2026, 11, 29, 15, 59, tzinfo=UTC),
                   data={"querier": "tp-mei", "responsible_person": "陳𡘙明"},
                   id=2, received_at=datetime(2026, 11, 29, 16, 0, tzinfo=UTC), received_by="token:9"),
    ]


EXPORT_FILES = {"README.txt": "證據匯出說明\n".encode(), "records/rec_x/v1.pdf": b"%PDF-1.7 sample\n",
                "records/rec_x/record.json": b'{"record_id": "rec_x"}'}


def export_manifest() -> tuple[bytes, dict[str, bytes]]:
    files = dict(EXPORT_FILES)
    manifest = write_manifest(
        export_id="0123456789abcdef0123456789abcdef", created_at=datetime(2026, 11, 27, 2, 30, tzinfo=UTC),
        created_by="user:alice", agency="379000000A", purpose={"purpose": "稽核", "case_no": "115-稽-001"},
        records=[{"record_id": "rec_x", "form_id": "annex2-agreement", "title": "附件2 商工資料使用安全約定書",
                  "agency": {"name": "臺北市政府財政局", "code": "379000000A"},
                  "versions": [{"version": 1, "file": "records/rec_x/v1.pdf", "sha256": "2" * 64,
                                "object_version": "v-0001", "signatures": 2, "retain_until": None,
                                "legal_hold": False, "verified_ok": True}]}],
        files=files)
    return manifest, files


# --- the audit chain and its sealed days ---------------------------------------------------------

def test_the_audit_chain_hashes_its_entries_as_v1():
    header, lines = read_segment((V1 / "audit-segment.jsonl").read_bytes())
    previous = header["prev_hash"]
    for expected, line in zip(audit_entries(), lines, strict=True):
        computed = entry_hash(previous, **{k: v for k, v in expected.items() if k != "id"})
        assert computed == line["hash"], f"entry {expected['id']}: the chain's hash changed"
        previous = computed


def test_a_day_is_sealed_in_the_v1_segment_format():
    header, lines = read_segment((V1 / "audit-segment.jsonl").read_bytes())
    written = segment_bytes(date(2026, 11, 27), audit_events([line["hash"] for line in lines]),
                            after_id=40, prev_hash=GENESIS)
    assert written == (V1 / "audit-segment.jsonl").read_bytes()


def test_a_v1_segment_reads_back_with_its_chain_whole():
    header, lines = read_segment((V1 / "audit-segment.jsonl").read_bytes())
    assert header["format"] == "forms-service-audit-segment/1" and header["count"] == len(lines) == 3
    assert chain_problems("v1", header, lines) == []
    lines[1]["detail"]["reason"] = "改過"
    assert chain_problems("v1", header, lines) != []  # the check still sees an edit


# --- the archive entry ---------------------------------------------------------------------------

def test_an_archive_entry_is_written_in_v1():
    assert write_entry(*archive_entry()) == (V1 / "archive-entry.json").read_bytes()


def test_a_v1_archive_entry_reads_back_whole():
    record, version = read_entry((V1 / "archive-entry.json").read_bytes(), key="k.json", version_id="e-1")
    expected_record, expected_version = archive_entry()
    assert record == expected_record
    assert version == dataclasses.replace(expected_version, entry_object_key="k.json", entry_object_version="e-1")


# --- a closed month of query events --------------------------------------------------------------

def test_a_closed_month_is_written_in_v1():
    written = month_segment_bytes(agency="379010000A", system="稅務資料整合查詢系統", month="2026-11",
                                  events=query_events(), closed_at=datetime(2026, 12, 6, 1, 0, tzinfo=UTC),
                                  closed_by="job:query-months")
    assert written == (V1 / "query-month.jsonl").read_bytes()


def test_a_v1_closed_month_reads_back_event_by_event():
    header, *events = [json.loads(line) for line in (V1 / "query-month.jsonl").read_text().splitlines()]
    assert header["format"] == "forms-service-query-month/1" and header["count"] == len(events) == 2
    assert [e["event"] for e in events] == [e.data for e in query_events()]


# --- an evidence export's manifest ---------------------------------------------------------------

def test_an_export_manifest_is_written_in_v1():
    manifest, files = export_manifest()
    assert manifest == (V1 / "export-manifest.json").read_bytes()
    assert files["manifest.txt"] == (V1 / "export-manifest.txt").read_bytes()


def test_a_v1_export_is_read_back_by_the_checker(fake_components):
    """The v1 manifest and its files, signed by the service's key: VALID; a file changed: NOT VALID."""
    manifest = (V1 / "export-manifest.json").read_bytes()
    files = {**EXPORT_FILES, "manifest.txt": (V1 / "export-manifest.txt").read_bytes(), MANIFEST: manifest,
             SIGNATURE: fake_components.exporter.sign(manifest)}

    def check(contents: dict[str, bytes]):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in contents.items():
                archive.writestr(name, data)
        return check_export(buffer.getvalue(), fake_components.trust_roots,
                            signers=[fake_components.signer_fingerprint()])

    result = check(files)
    assert result.ok, result.problems
    assert not check({**files, "records/rec_x/v1.pdf": b"%PDF-1.7 changed\n"}).ok


@pytest.mark.real_password_cost
def test_password_hashes_are_written_and_read_as_their_samples(monkeypatch):
    from forms_service.access import users

    sample = json.loads((V1 / "password-hashes.json").read_text(encoding="utf-8"))
    for stored in sample["hashes"].values():
        assert users.check_password(sample["password"], stored)
        assert not users.check_password(sample["password"] + "!", stored)
    salt = bytes(range(16))  # the samples' salt
    monkeypatch.setattr(users.secrets, "token_bytes", lambda size: salt[:size])
    assert users.hash_password(sample["password"]) == sample["hashes"]["with its cost"]
