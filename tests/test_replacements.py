"""The library functions the service replaces for speed (``signing/replacements.py``) return what the
stock functions return — on generated input, not only on the documents the other tests sign — and
are installed only on the library versions they were verified with, or not at all when asked."""

from __future__ import annotations

import io
import logging
import os
import random

import pytest
from asn1crypto import algos, cms, core, x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signing import asn1_dump, hex_strings, name_prep, replacements

PARITY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(reader, data: bytes):
    stream = io.BytesIO(data)
    try:
        value = reader(stream)
    except Exception as err:
        return ("raised", type(err).__name__, stream.tell())
    return (type(value).__name__, bytes(value.original_bytes), stream.tell())


@st.composite
def hex_strings_as_written(draw) -> bytes:
    """``<…>`` as a PDF may hold it: digits in either case, whitespace anywhere, sometimes an odd
    count, now and then something that is no hex digit, a comment or no closing ``>``."""
    raw = draw(st.binary(max_size=300))
    digits = raw.hex()
    if draw(st.booleans()):
        digits = digits.upper()
    pieces = []
    for digit in digits:
        pieces.append(digit)
        if draw(st.integers(0, 20)) == 0:
            pieces.append(draw(st.sampled_from([" ", "\n", "\r\n", "\t", "\x0c", "\x00"])))
    if draw(st.booleans()):
        pieces.append(draw(st.sampled_from("0123456789abcdef")))  # an odd count
    if draw(st.integers(0, 8)) == 0:
        pieces.insert(draw(st.integers(0, len(pieces))), draw(st.sampled_from(["g", "%comment\n", "<", "z"])))
    closing = "" if draw(st.integers(0, 15)) == 0 else ">"
    return ("<" + "".join(pieces) + closing + draw(st.sampled_from(["", " /Key", ">>", "\n"]))).encode("latin-1")


@PARITY
@given(hex_strings_as_written())
def test_a_hex_string_is_read_as_pyhanko_reads_it(data):
    assert _read(hex_strings.read_hex_string_from_stream, data) == _read(hex_strings._PYHANKO_READER, data)


@PARITY
@given(st.text(max_size=80))
def test_a_name_is_prepared_as_asn1crypto_prepares_it(text):
    try:
        expected = ("ok", name_prep._ASN1CRYPTO_PREP(None, text))
    except Exception as err:
        expected = ("raised", type(err).__name__)
    try:
        got = ("ok", name_prep.prepared(text))
    except Exception as err:
        got = ("raised", type(err).__name__)
    assert got == expected


@PARITY
@given(st.integers(0, 2 ** 32))
def test_a_built_structure_encodes_to_asn1cryptos_bytes(seed):
    """A structure built in memory (never parsed), as pyHanko builds one for each signature; built
    twice from the same seed, since ``dump`` keeps what it encoded and each function needs its own."""
    ours, stock = _from_random(random.Random(seed)), _from_random(random.Random(seed))
    assert asn1_dump.dump(ours) == asn1_dump.ASN1CRYPTO_DUMP(stock)
    assert asn1_dump.dump(ours, force=True) == asn1_dump.ASN1CRYPTO_DUMP(stock, force=True)


class _Names(core.SequenceOf):
    _child_spec = x509.Name


class _NamesOfNames(core.SequenceOf):
    _child_spec = _Names


def _from_random(rng: random.Random) -> core.Asn1Value:
    """A CMS-like structure drawn from ``rng`` (so it can be built again exactly): signed attributes
    with digests and names of rare characters, nested a few levels as a signature's are."""
    def name() -> x509.Name:
        common_name = "".join(rng.choice("王小明臺北𡘙ab") for _ in range(1 + rng.randrange(8)))
        return x509.Name.build({"common_name": common_name,
                                "organization_name": rng.choice(["臺北市政府財政局", "經濟部商業發展署", "X"]),
                                "country_name": "TW"})

    attributes = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "message_digest", "values": [bytes(rng.randrange(256) for _ in range(32))]}),
    ])
    return _Signed({
        "attributes": attributes,
        "digest": algos.DigestAlgorithm({"algorithm": rng.choice(["sha256", "sha384", "sha512"])}),
        "names": _NamesOfNames([_Names([name() for _ in range(rng.randrange(4))]) for _ in range(rng.randrange(4))]),
        "serial": rng.randrange(-(2 ** 70), 2 ** 70),
    })


class _Signed(core.Sequence):
    _fields = [("attributes", cms.CMSAttributes), ("digest", algos.DigestAlgorithm), ("names", _NamesOfNames),
               ("serial", core.Integer)]


# --- installation -------------------------------------------------------------------------------

@pytest.fixture
def restored():
    """Each test leaves the functions as the run had them."""
    before = replacements.installed()
    yield
    replacements.uninstall()
    if before:
        replacements.install()


def test_each_is_installed_on_the_versions_it_was_verified_with(restored):
    assert replacements.install() == ["hex_strings", "name_prep", "asn1_dump"]
    assert replacements.installed() == ["hex_strings", "name_prep", "asn1_dump"]


def test_another_version_of_a_library_runs_stock_with_one_warning(restored, caplog):
    versions = {"pyHanko": "0.38.0", "asn1crypto": "1.6.0"}
    with caplog.at_level(logging.WARNING, logger="signing.replacements"):
        assert replacements.install(version_of=versions.__getitem__) == ["hex_strings"]
    assert replacements.installed() == ["hex_strings"]
    [warning] = caplog.records
    assert "name_prep (asn1crypto 1.6.0, verified with ==1.5.1)" in warning.getMessage()
    assert "asn1_dump" in warning.getMessage()


def test_the_setting_runs_every_library_stock(restored):
    replacements.install()
    assert replacements.install(stock=True) == []
    assert replacements.installed() == []


def test_this_run_has_the_functions_its_setting_says():
    """``./dev test`` runs the unit tests a second time stock: that run must really be stock."""
    stock = os.environ.get("FORMS_STOCK_LIBRARIES", "") in ("1", "true")
    assert replacements.installed() == ([] if stock else ["hex_strings", "name_prep", "asn1_dump"])


def test_importing_signing_changes_no_library():
    import subprocess
    import sys

    code = "import signing, signing.replacements as r; print(r.installed())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
