"""The signed PDF of annex2-agreement, checked as a records clerk's tools would check it."""

from __future__ import annotations

import subprocess

import pytest

from signing import verify_pdf
from tests.conftest import pdffonts, pdftotext, signed_form, squeeze

HOSTILE = {
    "party.name": "A&B <c> \"q\" 'x' 財政局",
    "user_unit.name": "稽徵處\x0b分處😀",
    "representative.name": "陳𡘙明",
    "purpose": "查核 {{ x }} {_{ y }_} 100% 用途",
}


@pytest.fixture(scope="module")
def produced(components, request):
    from tests.conftest import load_example

    data = load_example("annex2-agreement")
    data["party"]["name"] = HOSTILE["party.name"]
    data["user_unit"]["name"] = HOSTILE["user_unit.name"]
    data["representative"]["name"] = HOSTILE["representative.name"]
    data["purpose"] = HOSTILE["purpose"]
    return signed_form(components, "annex2-agreement", data)


def test_the_text_holds_every_input_value_literally(produced):
    text = squeeze(pdftotext(produced.pdf))
    for value in HOSTILE.values():
        assert squeeze(value.replace("\x0b", "")) in text, value
    for value in ("稅捐稽徵法第30條", "中華民國115年1月1日", "中華民國117年12月31日", "中華民國115年11月27日",
                  "李小華", "02-2720-8889#1234", "局長", "經濟部商業發展署"):
        assert squeeze(value) in text, value


def test_every_font_is_embedded_and_the_kai_face_is_tw_kai(produced, tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(produced.pdf)
    fonts = pdffonts(path)
    assert fonts and all(f["emb"] == "yes" for f in fonts)
    names = " ".join(f["name"] for f in fonts)
    assert "TW-Kai" in names
    assert "TW-Kai-Ext-B" in names  # 𡘙 printed from the Ext-B family, not as a box


def test_the_xmp_says_pdfa_2(produced):
    assert b'pdfaid:part="2"' in produced.pdf


def test_the_signature_is_intact_valid_and_trusted_by_the_demo_root(produced, components):
    verification = verify_pdf(produced.pdf, components.trust_roots)
    assert verification.ok, verification.problems
    signature, archive_timestamp = verification.signatures
    assert signature.kind == "signature" and signature.level == "B-LTA" and signature.timestamp is not None
    assert archive_timestamp.kind == "document timestamp" and archive_timestamp.trusted


def test_poppler_reports_the_signature_valid(produced, tmp_path):
    path = tmp_path / "a.pdf"
    path.write_bytes(produced.pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True).stdout
    assert "Signature is Valid" in out


def test_a_flipped_byte_breaks_the_signature(produced, components):
    data = bytearray(produced.pdf)
    data[len(data) // 3] ^= 0x01
    assert not verify_pdf(bytes(data), components.trust_roots).ok
