"""DER encoding once per node gives asn1crypto's own bytes, for built and parsed values alike."""

from __future__ import annotations

import asyncio
import collections
import hashlib
from datetime import datetime, timedelta, timezone

import pytest
from asn1crypto import algos, cms, core, keys, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.sign.signers import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

import signing  # noqa: F401  installs the encoder, as for every user of the package
from signing import asn1_dump


@pytest.fixture(scope="module")
def pyhanko_signer() -> SimpleSigner:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = cx509.Name([cx509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                       cx509.NameAttribute(NameOID.COMMON_NAME, "測試 簽章者")])
    now = datetime.now(timezone.utc)
    certificate = (cx509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(cx509.random_serial_number()).not_valid_before(now - timedelta(days=1))
                   .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    cert = x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    private = keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return SimpleSigner(signing_cert=cert, signing_key=private,
                        cert_registry=SimpleCertificateStore.from_certs([cert]))


def with_asn1crypto_dump(monkeypatch, build):
    """``build()``'s encoding with asn1crypto's own ``dump`` in place, then with ours."""
    with monkeypatch.context() as patched:
        patched.setattr(core.Asn1Value, "dump", asn1_dump.ASN1CRYPTO_DUMP)
        theirs = build().dump()
    return theirs, build().dump()


def pades_cms(signer: SimpleSigner) -> cms.ContentInfo:
    digest = hashlib.sha256(b"the signed revision").digest()
    return asyncio.run(signer.async_sign(digest, "sha256", use_pades=True))


def test_installing_puts_it_where_every_value_encodes(monkeypatch):
    monkeypatch.setattr(core.Asn1Value, "dump", core.Asn1Value.dump)  # put back as the run had it
    asn1_dump.install()
    assert core.Asn1Value.dump is asn1_dump.dump
    asn1_dump.uninstall()
    assert core.Asn1Value.dump is asn1_dump.ASN1CRYPTO_DUMP


def test_a_pyhanko_cms_is_encoded_to_the_same_bytes(monkeypatch, pyhanko_signer):
    # PAdES signed attributes carry no signing time, and RSA PKCS#1 v1.5 is deterministic: the
    # same document digest gives the same CMS, byte for byte, whichever encoder runs.
    theirs, ours = with_asn1crypto_dump(monkeypatch, lambda: pades_cms(pyhanko_signer))
    assert ours == theirs
    assert cms.ContentInfo.load(ours)["content"]["signer_infos"][0]["sid"].chosen["serial_number"].native == \
        pyhanko_signer.signing_cert.serial_number


@pytest.mark.parametrize("build", [
    # a SET OF sorted by its encodings, strings of several types
    lambda: x509.Name.build({"country_name": "TW", "organization_name": "經濟部商業發展署",
                             "common_name": "DEMO 𡘙"}),
    # explicit tagging ([0] around the content) and an implicitly tagged, defaulted field
    lambda: cms.ContentInfo({"content_type": "data", "content": b"\x00\x01"}),
    lambda: cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"subject_key_identifier": b"\x01" * 20}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "signed_attrs": [cms.CMSAttribute({"type": "message_digest", "values": [b"\x02" * 32]})],
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}),
        "signature": b"\x03" * 256,
    }),
    # a value whose header says "indefinite length" (BER) is re-encoded with a definite one
    lambda: core.Sequence.load(b"\x30\x80\x02\x01\x05\x04\x02\x00\x01\x00\x00"),
    # a parsed value is written as it was read
    lambda: algos.DigestAlgorithm.load(algos.DigestAlgorithm({"algorithm": "sha512"}).dump()),
], ids=["name", "explicit-tag", "signer-info", "indefinite-length", "parsed"])
def test_built_and_parsed_values_are_encoded_as_asn1crypto_encodes_them(monkeypatch, build):
    theirs, ours = with_asn1crypto_dump(monkeypatch, build)
    assert ours == theirs


def test_forced_re_encoding_gives_the_same_bytes(monkeypatch, pyhanko_signer):
    loaded = pades_cms(pyhanko_signer).dump()
    theirs, ours = with_asn1crypto_dump(
        monkeypatch, lambda: _Forced(cms.ContentInfo.load(loaded)))
    assert ours == theirs == loaded


class _Forced:
    def __init__(self, value: core.Asn1Value):
        self.value = value

    def dump(self) -> bytes:
        return self.value.dump(force=True)


def test_each_part_is_encoded_a_few_times_not_once_per_level_above_it(monkeypatch, pyhanko_signer):
    def encodings() -> collections.Counter:
        counted: collections.Counter = collections.Counter()
        set_contents = core.Sequence._set_contents

        def counting(self, force=False):
            counted[type(self).__name__] += 1
            return set_contents(self, force)

        with monkeypatch.context() as patched:
            patched.setattr(core.Sequence, "_set_contents", counting)
            pades_cms(pyhanko_signer).dump()
        return counted

    with monkeypatch.context() as patched:
        patched.setattr(core.Asn1Value, "dump", asn1_dump.dump)
        ours = encodings()
    with monkeypatch.context() as patched:
        patched.setattr(core.Asn1Value, "dump", asn1_dump.ASN1CRYPTO_DUMP)
        theirs = encodings()
    assert theirs["DigestAlgorithm"] > 100  # what the issue was: hundreds for a few algorithm names
    # 78 encodings against 1,291 for this one-certificate CMS, measured; deeper chains fare worse
    assert theirs["DigestAlgorithm"] > 100  # what the issue was: hundreds for a few algorithm names
    assert sum(theirs.values()) > 10 * sum(ours.values())
    assert max(ours.values()) <= 30
