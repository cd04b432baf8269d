"""Signatures as evidence: countersigning, verification reports, tamper detection, renewal, faults."""

from __future__ import annotations

import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from forms_service.access import LOCAL_OPERATOR, Actor, Role
from forms_service.access.tokens import create_token
from forms_service.archive.signatures import countersign, renew, timestamps_expiring
from forms_service.errors import SigningFailed
from signing import Level, SignatureOptions, SigningContext, SigningError, sign_pdf, verify_pdf
from tests.conftest import load_example, signed_form

PROVIDER = Actor(id="test:provider", agency="315000000H", role=Role.PROVIDER)


def countersigned_by_provider(components, record_id):
    return countersign(components.archive, components.countersigner, record_id, PROVIDER,
                       provider_name=components.settings.provider_name)


def verify_stored(components, record):
    version = record.versions[-1]
    return components.verifier.verify_version(record, version, components.archive.read(version, actor=LOCAL_OPERATOR))


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def countersigned(components):
    """An annex2 record in the session archive, signed by the agency and countersigned."""
    produced = signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    first = components.archive.submit(produced, LOCAL_OPERATOR)
    second = countersigned_by_provider(components, first.record_id)
    record = components.catalog.get_record(first.record_id)
    return record, components.store.get(second.object_key, second.object_version)


def run_cli(args, data_dir):
    env = {**os.environ, "FORMS_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "forms_service.cli", *args], capture_output=True, text=True,
                          env=env, timeout=120)


def test_a_countersigned_agreement_has_two_valid_trusted_b_lta_signatures(countersigned, components):
    record, pdf = countersigned
    assert [v.number for v in record.versions] == [1, 2]
    verification = verify_pdf(pdf, components.trust_roots)
    assert verification.ok, verification.problems
    signatures = [s for s in verification.signatures if s.kind == "signature"]
    assert len(signatures) == 2
    assert all(s.level == "B-LTA" and s.intact and s.valid and s.trusted for s in signatures)
    assert "經濟部商業發展署" in signatures[1].signer
    assert signatures[0].modification_level in ("FORM_FILLING", "LTA_UPDATES")


def test_a_b_lta_signature_takes_one_revision_for_itself_and_one_for_its_archive_timestamp(components):
    """The document, its blocks' empty signature fields, the signature, then the validation data
    (the TSA's included, with no revision of VRI entries after it) together with the document
    timestamp: no revision of VRI entries for every validation's modification analysis to walk."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import DocumentSecurityStore

    produced = signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    reader = PdfFileReader(io.BytesIO(produced.pdf), strict=False)
    assert reader.xrefs.total_revisions == 4
    assert [(s.field_name, s.sig_object_type, s.signed_revision) for s in reader.embedded_signatures][0] == (
        "party", "/Sig", 2)
    assert [s.sig_object_type for s in reader.embedded_signatures][1:] == ["/DocTimeStamp"]
    dss = DocumentSecurityStore.read_dss(reader)
    assert dss.ocsps or dss.crls
    [signature, timestamp] = verify_pdf(produced.pdf, components.trust_roots).signatures
    assert signature.level == "B-LTA" and signature.ok and timestamp.ok


def test_poppler_sees_two_valid_signatures(countersigned, tmp_path):
    path = tmp_path / "c.pdf"
    path.write_bytes(countersigned[1])
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid") >= 2


def test_the_verify_command_accepts_the_archived_file(countersigned, components, tmp_path):
    path = tmp_path / "c.pdf"
    path.write_bytes(countersigned[1])
    result = run_cli(["verify", str(path)], components.settings.data_dir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("VALID") and result.stdout.count("PAdES B-LTA") == 2


def test_verify_where_there_is_no_archive_checks_the_signatures_and_creates_nothing(countersigned, tmp_path):
    """A file from elsewhere, in a folder with no data directory: its signatures are checked (the
    demo root of another installation is not trusted here) and no catalog is created."""
    path = tmp_path / "c.pdf"
    path.write_bytes(countersigned[1])
    empty = tmp_path / "elsewhere"
    result = run_cli(["verify", str(path)], empty)
    assert result.returncode == 1 and result.stdout.startswith("NOT VALID"), result.stdout + result.stderr
    assert "trusted: yes / yes / NO" in result.stdout and "alembic" not in result.stderr
    assert not (empty / "catalog.sqlite3").exists()


def _appended_page(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
        generic.NameObject("/Resources"): generic.DictionaryObject(),
        generic.NameObject("/Contents"): writer.add_object(generic.StreamObject(stream_data=b"BT ET")),
    }))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _edited_info(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    ref = writer.trailer.raw_get("/Info")
    info = ref.get_object()
    info[generic.NameObject("/Title")] = generic.TextStringObject("changed after signing")
    writer.mark_update(ref)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _first_revision(pdf: bytes, record) -> bytes:
    """The file cut back to the end of the revision the agency's signature covers."""
    import re

    m = re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", pdf)
    return pdf[: int(m[3]) + int(m[4])]


@pytest.mark.parametrize("tamper,reason", [
    (lambda pdf, rec: pdf[: len(pdf) // 2] + bytes([pdf[len(pdf) // 2] ^ 1]) + pdf[len(pdf) // 2 + 1:], "changed"),
    (lambda pdf, rec: _appended_page(pdf), "modified after"),
    (lambda pdf, rec: _edited_info(pdf), "/Info"),
    (lambda pdf, rec: _first_revision(pdf, rec), "cut back"),
], ids=["flipped-byte", "appended-page", "edited-info", "cut-back"])
def test_a_tampered_copy_fails_verify_with_a_reason(countersigned, components, tmp_path, tamper, reason):
    record, pdf = countersigned
    path = tmp_path / "t.pdf"
    path.write_bytes(tamper(pdf, record))
    result = run_cli(["verify", "--json", str(path)], components.settings.data_dir)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.startswith("{"), result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert any(reason in p for p in report["problems"]), report["problems"]


def test_the_verification_endpoint_reports_each_signature_and_the_archive_check(real_client, app_components, example):
    catalog = app_components.catalog
    client = real_client
    staff = create_token(catalog, agency="379000000A", role="staff")
    provider = create_token(catalog, agency="315000000H", role="provider")
    rid = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                      headers=auth(staff)).json["record_id"]
    assert client.post(f"/api/v1/records/{rid}/countersign", headers=auth(staff)).status_code == 403
    countersigned = client.post(f"/api/v1/records/{rid}/countersign", headers=auth(provider))
    assert countersigned.status_code == 201 and countersigned.json["version"] == 2
    report = client.get(f"/api/v1/records/{rid}/verification", headers=auth(staff)).json
    assert report["ok"] is True and report["version"] == 2
    kinds = [s["kind"] for s in report["signatures"]]
    assert kinds.count("signature") == 2
    for s in report["signatures"]:
        assert {"signer", "signing_time", "timestamp", "level", "intact", "valid", "trusted", "revocation",
                "modification_level", "coverage"} <= set(s)
    assert report["report_at_signing"], "the report made at signing time is stored with the version"
    text = client.get(f"/api/v1/records/{rid}/verification?format=text", headers=auth(staff))
    assert text.mimetype == "text/plain" and text.data.decode().startswith(f"record {rid} version 2: VALID")
    again = client.post(f"/api/v1/records/{rid}/countersign", headers=auth(provider))
    assert again.status_code == 400


def test_renewal_adds_a_document_timestamp_as_a_new_version(components):
    produced = signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    stored = components.archive.submit(produced, LOCAL_OPERATOR)
    def expiring(days):
        return timestamps_expiring(components.archive, components.catalog, within_days=days,
                                   now=components.clock.now(), actor=LOCAL_OPERATOR)

    due = {record.id: (record, version) for record, version, _ in expiring(365 * 20)}
    record, version = due[stored.record_id]
    assert not {r.id for r, _, _ in expiring(0)} & {stored.record_id}
    renewed = renew(components.archive, components.document_signer, record, version, LOCAL_OPERATOR)
    assert renewed.number == version.number + 1
    result = verify_stored(components, components.catalog.get_record(stored.record_id))
    assert result.ok, result.as_dict()["problems"]
    assert [s.kind for s in result.verification.signatures].count("document timestamp") == 2


def test_an_unreachable_tsa_is_a_clear_error_within_5_seconds_and_nothing_is_stored(components, annex2_pdf):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/tsa"
    started = time.monotonic()
    with pytest.raises(SigningError, match="time-stamping|did not answer"):
        sign_pdf(annex2_pdf, components.signer.signer(), SignatureOptions(level=Level.B_T),
                 SigningContext(tsa_url=dead, trust_roots=components.signing.trust_roots))
    assert time.monotonic() - started < 5


def test_a_hung_tsa_is_given_up_after_the_timeout(components, annex2_pdf):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/tsa"
    started = time.monotonic()
    try:
        with pytest.raises(SigningError, match="time-stamping|did not answer"):
            sign_pdf(annex2_pdf, components.signer.signer(), SignatureOptions(level=Level.B_T),
                     SigningContext(tsa_url=url, trust_roots=components.signing.trust_roots))
        assert time.monotonic() - started < 7  # the 5 s network limit, plus the signing itself
    finally:
        listener.close()


def test_a_signing_fault_in_the_pipeline_stores_nothing(components, catalog):

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/tsa"
    broken = components.sharing(signing=SigningContext(tsa_url=dead, trust_roots=components.signing.trust_roots),
                                catalog=catalog)
    with pytest.raises(SigningFailed):
        signed_form(broken, "annex2-agreement", load_example("annex2-agreement"))
    assert catalog.latest_versions() == []


def test_the_signature_has_a_visible_stamp_in_tw_kai_with_the_roc_date(components):
    import pikepdf

    produced = signed_form(components, "annex2-agreement", load_example("annex2-agreement"))
    with pikepdf.open(io.BytesIO(produced.pdf)) as pdf:
        widgets = [a for page in pdf.pages for a in page.get("/Annots", []) if a.get("/T") == "party"]
        assert len(widgets) == 1  # the agency's block of 附件2
        x1, y1, x2, y2 = (float(v) for v in widgets[0].Rect)
        assert x2 - x1 > 100 and y2 - y1 > 40
        appearance = widgets[0].AP.N
        fonts = [str(f.get("/BaseFont")) for xobj in _xobjects(appearance) for f in _fonts(xobj)]
        assert any("TW-Kai" in name for name in fonts), fonts


def _xobjects(stream):
    yield stream
    resources = stream.get("/Resources", {})
    for value in resources.get("/XObject", {}).values():
        yield from _xobjects(value)


def _fonts(stream):
    resources = stream.get("/Resources", {})
    for font in resources.get("/Font", {}).values():
        yield font
        yield from font.get("/DescendantFonts", [])


def test_the_stamp_time_is_roc_in_asia_taipei_whatever_the_machine_zone(monkeypatch):
    from datetime import datetime, timezone

    from forms_service.produce.stamp import stamp

    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    try:  # 2026-12-31 17:30 UTC is already 1 January 2027, 01:30, in Taipei
        made = stamp("簽署人", "DEMO 簽章", "臺北市政府財政局", datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert made.lines == ("簽署人：DEMO 簽章", "機關：臺北市政府財政局", "時間：中華民國116年1月1日 01:30")
    # A person's own certificate names no agency, and neither does his stamp.
    assert stamp("承辦人", "王小明", "", datetime(2026, 12, 31, 17, 30, tzinfo=timezone.utc)).lines == (
        "承辦人：王小明", "時間：中華民國116年1月1日 01:30")


def _contents(pdf: bytes) -> re.Match:
    match = re.search(rb"/Contents\s*<([0-9a-fA-F]+)>", pdf)
    assert match is not None
    return match


def _with_timestamp_of(pdf: bytes, donor: bytes) -> bytes:
    """``pdf`` with its signature's timestamp token replaced by ``donor``'s (a genuine token over
    another signature), padded into the same reserved space: the signed bytes stay untouched."""
    from asn1crypto import cms

    def signed_data(data: bytes) -> cms.ContentInfo:
        return cms.ContentInfo.load(bytes.fromhex(_contents(data)[1].decode()), strict=False)  # zero padding after

    target, source = signed_data(pdf), signed_data(donor)
    target["content"]["signer_infos"][0]["unsigned_attrs"] = source["content"]["signer_infos"][0]["unsigned_attrs"]
    hex_cms = target.dump(force=True).hex().encode()
    match = _contents(pdf)
    reserved = match.end(1) - match.start(1)
    assert len(hex_cms) <= reserved
    return pdf[:match.start(1)] + hex_cms.ljust(reserved, b"0") + pdf[match.end(1):]


def test_a_transplanted_signature_timestamp_is_reported(components, annex2_pdf):
    signer = components.signer.signer()
    options = SignatureOptions(level=Level.B_T)
    genuine = sign_pdf(annex2_pdf, signer, options, components.signing)
    donor = sign_pdf(annex2_pdf, signer, options, components.signing)  # another signature value
    assert verify_pdf(genuine, components.trust_roots).ok

    verification = verify_pdf(_with_timestamp_of(genuine, donor), components.trust_roots)
    assert not verification.ok
    assert any("timestamp does not validate" in p for p in verification.problems), verification.problems


def test_the_check_after_signing_analyses_changes_for_the_first_signature_of_a_kind(components, monkeypatch):
    """The modification analysis runs on the first signature of each field and level in the
    process; later ones leave it out (their report says so) and a full verification runs it."""
    from forms_service.produce import signer as signer_module

    monkeypatch.setattr(signer_module, "SHAPES_ANALYSED", set())
    example = load_example("annex2-agreement")
    first = signed_form(components, "annex2-agreement", example)
    second = signed_form(components, "annex2-agreement", example)
    assert [r["modification_level"] for r in first.signature_report] == ["LTA_UPDATES", "NONE"]
    assert [r["modification_level"] for r in second.signature_report] == ["NOT_ANALYSED", "NOT_ANALYSED"]
    verification = verify_pdf(second.pdf, components.trust_roots)
    assert verification.ok and [s.modification_level for s in verification.signatures] == ["LTA_UPDATES", "NONE"]


def test_a_first_signature_followed_by_a_change_pyhanko_refuses_is_not_kept(components, monkeypatch):
    """Were the signing code to write something after the signature that pyHanko's analysis
    refuses, the first document of that kind fails and nothing is kept; any later one would be
    caught by every verification."""
    from forms_service.produce import signer as signer_module

    real_sign = signer_module.sign_pdf

    def sign_then_change_the_catalog(pdf, *args, **kwargs):
        writer = IncrementalPdfFileWriter(io.BytesIO(real_sign(pdf, *args, **kwargs)), strict=False)
        writer.root["/OpenAction"] = generic.ArrayObject([generic.NameObject("/Fit")])
        writer.update_root()
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    monkeypatch.setattr(signer_module, "sign_pdf", sign_then_change_the_catalog)
    monkeypatch.setattr(signer_module, "SHAPES_ANALYSED", set())
    example = load_example("annex2-agreement")
    with pytest.raises(SigningFailed, match="modified after this signature"):
        signed_form(components, "annex2-agreement", example)
    assert not signer_module.SHAPES_ANALYSED, "a refused shape is analysed again next time"
    signer_module.SHAPES_ANALYSED.add(("party", components.level))  # as if a good one had passed
    produced = signed_form(components, "annex2-agreement", example)
    assert not verify_pdf(produced.pdf, components.trust_roots).ok


def test_stamps_of_one_signer_share_one_font_program_holding_every_glyph_they_show(components, annex2_pdf, tmp_path):
    """The stamp's font program is compiled once for stamps differing only in digits (their time),
    and each document's program holds every glyph its stamp shows, with the widths it declares."""
    import dataclasses

    import pikepdf
    from fontTools.ttLib import TTFont

    from forms_service.produce.pdfa import write
    from signing import Stamp, StampFont

    font = StampFont(components.signing.stamp_font.font_path, work_dir=tmp_path)
    context = dataclasses.replace(components.signing, stamp_font=font)
    signer = components.signer.signer()
    times = ("時間：中華民國115年12月1日 09:05", "時間：中華民國116年3月27日 18:47")
    unsigned = write(annex2_pdf)
    stamps = [Stamp(("簽署人：王小明", line)) for line in times]
    signed = [sign_pdf(unsigned, signer, SignatureOptions(level=Level.B_B, stamp=s), context) for s in stamps]
    assert len(font._programs) == 1
    for pdf in signed:
        # (pikepdf's PDF/A checker does not judge documents with forms, signed ones among them:
        # the font rules it would apply to the stamp — every glyph shown is in the program, with
        # the width declared — are checked here.)
        assert verify_pdf(pdf, components.trust_roots).ok
        with pikepdf.open(io.BytesIO(pdf)) as document:
            widget = next(a for page in document.pages for a in page.get("/Annots", []) if a.get("/FT") == "/Sig")
            cidfont = next(d for x in _xobjects(widget.AP.N) for f in _fonts(x) for d in f.get("/DescendantFonts", []))
            program = TTFont(io.BytesIO(cidfont.FontDescriptor.FontFile2.read_bytes()))
            widths = cidfont.W
            shown = {}
            for start, run in zip(widths[::2], widths[1::2], strict=True):
                shown.update({int(start) + i: int(w) for i, w in enumerate(run)})
        glyf, hmtx, order = program["glyf"], program["hmtx"], program.getGlyphOrder()
        assert len(shown) >= len(set("簽署人：王小明時間中華民國年月日")), shown
        for gid, width in shown.items():
            name = order[gid]
            assert glyf[name].numberOfContours != 0 or name in ("space", "uni3000"), name
            assert hmtx[name][0] == width
    font.close()


def test_a_b_lta_signature_asks_the_tsa_twice_once_its_client_holds_a_sample(components, annex2_pdf, monkeypatch):
    """The signature timestamp and the archive timestamp: the sample token pyHanko sizes the archive
    timestamp's space with is fetched by the first signature of the process's client only."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    asked = []
    original = HTTPTimeStamper.async_timestamp

    async def counted(self, *args, **kwargs):
        asked.append(self)
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(HTTPTimeStamper, "async_timestamp", counted)
    signer, options = components.signer.signer(), SignatureOptions(level=Level.B_LTA)
    sign_pdf(annex2_pdf, signer, options, components.signing)
    asked.clear()
    for _ in range(2):
        assert verify_pdf(sign_pdf(annex2_pdf, signer, options, components.signing), components.trust_roots).ok
    assert len(asked) == 4 and len(set(asked)) == 1


def test_an_archive_timestamp_outgrowing_its_sample_is_made_again_with_a_new_sample(components, annex2_pdf):
    """A kept sample token smaller than the TSA's tokens now (a TSA with a longer chain since): the
    space reserved is too small, and the signature is made again with a new client and sample."""
    from asn1crypto import cms
    from pyhanko.sign import DEFAULT_MD

    signer, options = components.signer.signer(), SignatureOptions(level=Level.B_LTA)
    sign_pdf(annex2_pdf, signer, options, components.signing)
    kept = components.signing.loop.run(lambda session: _async(components.signing.make_timestamper(session)),
                                       timeout=5)
    sample = kept._dummy_response_cache[DEFAULT_MD]
    shrunk = cms.ContentInfo.load(sample.dump())
    shrunk["content"]["certificates"] = []  # a third of the size: the reserve falls short
    kept._dummy_response_cache[DEFAULT_MD] = shrunk

    signed = sign_pdf(annex2_pdf, signer, options, components.signing)
    assert verify_pdf(signed, components.trust_roots).ok
    renewed = components.signing.loop.run(lambda session: _async(components.signing.make_timestamper(session)),
                                          timeout=5)
    assert renewed is not kept and renewed._dummy_response_cache[DEFAULT_MD].dump() != shrunk.dump()


async def _async(value):
    return value
