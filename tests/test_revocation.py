"""Revocation data is fetched once per validity window, never used past it, and a signer revoked
meanwhile is refused at the next refresh.

A demo PKI whose signer certificate is revoked one minute ago answers first as of three minutes
ago (OCSP and CRLs say "good") and then as of now ("revoked"); the cache's clock is moved instead
of waiting.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pikepdf
import pytest
from pyhanko.sign import signers

from signing import (
    Level,
    RevocationCache,
    SignatureOptions,
    SigningContext,
    SigningError,
    SigningLoop,
    sign_pdf,
    verify_pdf,
)
from signing.demo_pki import DemoPkiServer, ensure_demo_pki
from signing.revocation import MARGIN

pytestmark = pytest.mark.integration


def blank_pdf() -> bytes:
    document = pikepdf.new()
    document.add_blank_page(page_size=(595, 842))
    with document.open_metadata() as meta:  # XMP, as converted forms have
        meta["dc:title"] = "revocation test"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@dataclass
class Signing:
    """A demo PKI whose signer is revoked one minute ago, answering as of three minutes ago, and
    a signing context whose revocation cache runs on ``clock[0]``."""

    pki: DemoPkiServer
    clock: list[datetime]
    cache: RevocationCache
    context: SigningContext
    signer: signers.SimpleSigner

    @property
    def key(self) -> str:
        return self.signer.signing_cert.sha256.hex()


@pytest.fixture
def revoked(tmp_path):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    files = ensure_demo_pki(tmp_path / "pki", signer_revoked_since=now - timedelta(minutes=1))
    loop = SigningLoop()
    with DemoPkiServer(files) as pki:
        pki.answer_as_of(now - timedelta(minutes=3))  # before the revocation
        clock = [now]
        cache = RevocationCache(now=lambda: clock[0])
        context = SigningContext(tsa_url=pki.tsa_url, trust_roots=(pki.cert("root"),), loop=loop, revocation=cache)
        signer = signers.SimpleSigner.load_pkcs12(str(files.signer_p12), passphrase=files.password)
        try:
            yield Signing(pki, clock, cache, context, signer)
        finally:
            loop.close()


def test_a_revoked_signer_is_refused_once_the_cache_refreshes(revoked):
    options, pdf, roots = SignatureOptions(level=Level.B_LTA), blank_pdf(), [revoked.pki.cert("root")]
    first = sign_pdf(pdf, revoked.signer, options, revoked.context)
    assert verify_pdf(first, roots).ok
    assert revoked.cache.refreshes == 1

    revoked.pki.answer_as_of(None)  # from now on the PKI says the signer is revoked
    # Within the window the cached "good" stands (docs/the-forms.md says how long at most) ...
    second = sign_pdf(pdf, revoked.signer, options, revoked.context)
    assert verify_pdf(second, roots).ok
    assert revoked.cache.refreshes == 1

    # ... and once it ends, the fresh data refuses the signer.
    snapshot = revoked.cache.current(revoked.key)
    assert snapshot is not None
    revoked.clock[0] = snapshot.valid_until
    assert revoked.cache.current(revoked.key) is None
    with pytest.raises(SigningError, match="could not be validated") as refused:
        sign_pdf(pdf, revoked.signer, options, revoked.context)
    assert "certificate was revoked at" in str(refused.value)  # the responder's word, not a fault


def test_no_signature_uses_revocation_data_past_its_next_update(revoked):
    options = SignatureOptions(level=Level.B_LT)
    sign_pdf(blank_pdf(), revoked.signer, options, revoked.context)
    snapshot = revoked.cache.current(revoked.key)
    assert snapshot is not None and snapshot.ocsps and snapshot.crls

    next_updates = [single["next_update"].native
                    for response in snapshot.ocsps
                    for single in response["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]]
    next_updates += [item["tbs_cert_list"]["next_update"].native for item in snapshot.crls]
    # Used only until the earliest nextUpdate less the margin (the demo OCSP answers for 10 min).
    assert snapshot.valid_until == min(next_updates) - MARGIN
    assert snapshot.valid_until <= snapshot.fetched_at + revoked.cache.max_age

    revoked.clock[0] = snapshot.valid_until - timedelta(seconds=1)
    sign_pdf(blank_pdf(), revoked.signer, options, revoked.context)
    assert revoked.cache.refreshes == 1  # still inside the window: reused
    revoked.clock[0] = snapshot.valid_until
    sign_pdf(blank_pdf(), revoked.signer, options, revoked.context)
    assert revoked.cache.refreshes == 2  # at its end: fetched again


def test_the_cache_never_outlives_its_maximum_age():
    moment = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    cache = RevocationCache(now=lambda: moment, max_age=timedelta(hours=1))
    snapshot = cache.store("signer", [], [], [])  # data that names no nextUpdate at all
    assert snapshot.valid_until == moment + timedelta(hours=1)
    assert cache.current("signer") is snapshot
    assert cache.current("another signer") is None
    cache.forget("signer")
    assert cache.current("signer") is None


def test_a_snapshot_kept_on_disk_serves_another_process_only_inside_its_window(revoked, tmp_path):
    """Processes of one machine (web processes, ``jobs run``, a one-shot render) share the
    snapshot through the data directory, under the same rule: never past its valid_until."""
    folder = tmp_path / "revocation"
    first = RevocationCache(now=lambda: revoked.clock[0], folder=folder)
    context = dataclasses.replace(revoked.context, revocation=first)
    sign_pdf(blank_pdf(), revoked.signer, SignatureOptions(level=Level.B_LT), context)
    kept = first.current(revoked.key)
    assert kept is not None and len(list(folder.iterdir())) == 1

    another = RevocationCache(now=lambda: revoked.clock[0], folder=folder)  # a new process
    read = another.current(revoked.key)
    assert read is not None and read.valid_until == kept.valid_until
    assert [r.dump() for r in read.ocsps] == [r.dump() for r in kept.ocsps] and read.crls
    sign_pdf(blank_pdf(), revoked.signer, SignatureOptions(level=Level.B_LT),
             dataclasses.replace(revoked.context, revocation=another))
    assert another.refreshes == 0  # used what the first fetched

    late = RevocationCache(now=lambda: kept.valid_until, folder=folder)
    assert late.current(revoked.key) is None  # past its window: fetched afresh, whoever kept it
    next(folder.iterdir()).write_text("{damaged")
    assert RevocationCache(now=lambda: revoked.clock[0], folder=folder).current(revoked.key) is None
