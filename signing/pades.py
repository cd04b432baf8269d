"""PAdES signing with a pyHanko ``Signer``, at levels B-B, B-T, B-LT and B-LTA, incrementally.

Incremental: the converted PDF/A stays byte-for-byte the first revision, so PDF/A conformance
and earlier signatures are preserved.

- B-B   the CMS signature alone;
- B-T   plus an RFC 3161 signature timestamp from a TSA;
- B-LT  plus the certificates, OCSP responses and CRLs needed to validate it later (DSS);
- B-LTA plus a document timestamp over all of that, renewable before its certificate expires.

Given a ``SigningLoop`` and a ``RevocationCache`` (the service makes one of each per process),
signatures share one event loop and HTTP session, and the OCSP responses and CRLs one signature
fetched serve every signature of the same signer until their ``nextUpdate`` (see ``revocation``).
Without them each signature runs in a fresh loop and fetches everything itself.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import aiohttp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.signers.pdf_signer import DSSContentSettings, TimestampDSSContentSettings
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.errors import ValidationError as PathError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from ._sync import outside_event_loop
from .errors import CertificateRefused, SigningError
from .loop import SigningLoop
from .revocation import RevocationCache, RevocationSnapshot
from .stamp import Stamp, StampFont


class _CachedDataIsMeant(logging.Filter):
    """pyHanko warns when validation data is embedded without fetching: with the cache that is the
    point (the data was fetched by an earlier signature), and a warning per document is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_CachedDataIsMeant())

T = TypeVar("T")

NETWORK_TIMEOUT = 5.0  # seconds for the TSA, OCSP and CRL: a fault must come back fast

# With a ``SigningLoop``, one timestamp client per TSA, renewed hourly.  pyHanko sizes a document
# timestamp's reserved space from a sample token its client fetches once and keeps: a client made
# for each signature asked the TSA for a sample at every B-LTA document (a third request beside
# the signature's and the archive timestamps).  The reserve is the sample's size and half again;
# a token that outgrows it (a TSA grown a longer chain within the hour) is retried with a new
# client, so a new sample.
TIMESTAMPER_LIFETIME = 3600.0


class Level(StrEnum):
    B_B = "B-B"
    B_T = "B-T"
    B_LT = "B-LT"
    B_LTA = "B-LTA"

    @property
    def needs_timestamp(self) -> bool:
        return self is not Level.B_B

    @property
    def embeds_validation_info(self) -> bool:
        return self in (Level.B_LT, Level.B_LTA)


@dataclass(frozen=True)
class SignatureOptions:
    field_name: str = "Signature1"
    reason: str = ""
    location: str = ""
    contact_info: str = ""
    md_algorithm: str = "sha256"
    level: Level = Level.B_B
    stamp: Stamp | None = None  # a visible stamp; needs ``SigningContext.stamp_font``
    # Space for the CMS blob.  Without it pyHanko builds the whole signature twice (a dry run to
    # measure it), which doubled the signing time; when a signature outgrows this reserve we fall
    # back to that measurement, so a too-small value costs time, never a signature.
    bytes_reserved: int | None = None

    @property
    def reserve(self) -> int:
        if self.bytes_reserved is not None:
            return self.bytes_reserved
        return 8192 if self.level is Level.B_B else 24576


@dataclass(frozen=True)
class SigningContext:
    """What levels above B-B need: a TSA and the trust anchors to gather validation data for."""

    tsa_url: str = ""
    trust_roots: tuple = ()
    timestamper: TimeStamper | None = None  # overrides tsa_url (tests, or a TSA client of one's own)
    stamp_font: StampFont | None = None
    loop: SigningLoop | None = None  # one event loop and HTTP session for every signature
    revocation: RevocationCache | None = None  # revocation data reused until its nextUpdate

    @property
    def has_timestamps(self) -> bool:
        return bool(self.timestamper or self.tsa_url)

    def make_timestamper(self, session: aiohttp.ClientSession) -> TimeStamper | None:
        if self.timestamper is not None:
            return self.timestamper
        if not self.tsa_url:
            return None
        if self.loop is None:
            return self._new_timestamper(session)
        return self.loop.keep(("timestamper", self.tsa_url), session, self._new_timestamper,
                              lifetime=TIMESTAMPER_LIFETIME)

    def forget_timestamper(self) -> None:
        """The next ``make_timestamper`` makes a new client (which fetches a new sample token)."""
        if self.loop is not None:
            self.loop.forget(("timestamper", self.tsa_url))

    def _new_timestamper(self, session: aiohttp.ClientSession) -> HTTPTimeStamper:
        return HTTPTimeStamper(self.tsa_url, timeout=NETWORK_TIMEOUT, session=session)

    def validation_context(self, session: aiohttp.ClientSession,
                           snapshot: RevocationSnapshot | None = None) -> ValidationContext:
        """Hard-fail revocation checking: with ``snapshot``'s data and no fetching, or fetching it."""
        if snapshot is not None:
            return ValidationContext(
                trust_roots=list(self.trust_roots), allow_fetching=False, revocation_mode="hard-fail",
                ocsps=list(snapshot.ocsps), crls=list(snapshot.crls), other_certs=list(snapshot.certs),
            )
        return ValidationContext(
            trust_roots=list(self.trust_roots), allow_fetching=True, revocation_mode="hard-fail",
            fetcher_backend=AIOHttpFetcherBackend(session=session, per_request_timeout=NETWORK_TIMEOUT),
        )


# B-LTA in three revisions — the document, the signature, then its validation data together with the
# document timestamp (and the timestamp authority's own data, written before the timestamp rather
# than in a fourth revision of VRI entries, which PAdES does not require).  Every validation's
# modification analysis walks each revision's whole object graph: one revision fewer is one walk
# fewer for every check of the document, at signing and for as long as it is kept.
LTA_DSS = DSSContentSettings(next_ts_settings=TimestampDSSContentSettings(include_vri=False, update_before_ts=True))


def sign_pdf(pdf: bytes, signer: Signer, options: SignatureOptions = SignatureOptions(),
             context: SigningContext = SigningContext()) -> bytes:
    """A new revision of ``pdf`` carrying one more PAdES signature at ``options.level``."""
    level = options.level
    if level.needs_timestamp and not context.has_timestamps:
        raise SigningError(f"signing at {level} needs a time-stamping authority (FORMS_TSA_URL)")
    cache_key = _signer_key(signer) if context.revocation is not None and level.embeds_validation_info else ""
    snapshot = context.revocation.current(cache_key) if context.revocation is not None and cache_key else None

    async def run(session: aiohttp.ClientSession | None) -> bytes:
        validation_context = None
        if session is not None and level.embeds_validation_info:
            validation_context = context.validation_context(session, snapshot)
        meta = signers.PdfSignatureMetadata(
            field_name=options.field_name,
            md_algorithm=options.md_algorithm,
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=options.reason or None,
            location=options.location or None,
            contact_info=options.contact_info or None,
            validation_context=validation_context,
            embed_validation_info=level.embeds_validation_info,
            use_pades_lta=level is Level.B_LTA,
            dss_settings=LTA_DSS,
        )
        timestamper = context.make_timestamper(session) if session is not None else None
        extra: dict[str, Any] = {}
        params = None
        if options.stamp is not None and context.stamp_font is not None:
            extra = {"stamp_style": context.stamp_font.style(options.stamp.text)}
            if options.stamp.box is not None:  # else: the field of that name the document has
                extra["new_field_spec"] = fields.SigFieldSpec(options.field_name, on_page=options.stamp.page,
                                                              box=options.stamp.box)
            params = {"stamp": options.stamp.text}
        pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, **extra)
        try:
            signed = await _sign(pdf, pdf_signer, options.reserve, params)
        except PyHankoSigningError as err:
            if "larger than expected" not in str(err):
                raise
            # Sized by measuring (a dry run), and the archive timestamp by a new sample token.
            if session is not None:
                context.forget_timestamper()
                pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=context.make_timestamper(session),
                                               **extra)
            signed = await _sign(pdf, pdf_signer, None, params)
        if validation_context is not None and snapshot is None and context.revocation is not None:
            context.revocation.store(cache_key, validation_context.ocsps, validation_context.crls,
                                     validation_context.revinfo_manager.new_revocation_certs)
        return signed

    try:
        # B-B needs no network: no session for it.
        return _run(context, run, "the PDF could not be signed", network=level.needs_timestamp)
    except SigningError as err:
        if snapshot is None or context.revocation is None or not _path_refused(err):
            raise
        # A certificate refused with the cached data (a new TSA certificate, say): once more with
        # fresh data, which decides.
        context.revocation.forget(cache_key)
        snapshot = None
        return _run(context, run, "the PDF could not be signed", network=True)


def add_document_timestamp(pdf: bytes, context: SigningContext) -> bytes:
    """Renew the archival chain: fresh validation data and a new document timestamp (B-LTA)."""
    if not context.has_timestamps:
        raise SigningError("renewing archive timestamps needs a time-stamping authority (FORMS_TSA_URL)")

    async def run(session: aiohttp.ClientSession | None) -> bytes:
        assert session is not None
        out = io.BytesIO()
        timestamper = context.make_timestamper(session)
        assert timestamper is not None  # has_timestamps was checked above
        # Always fetched afresh: a renewal is rare, and is the moment to record the current status.
        await signers.PdfTimeStamper(timestamper).async_update_archival_timestamp_chain(
            PdfFileReader(io.BytesIO(pdf), strict=False), context.validation_context(session),
            in_place=False, output=out,
        )
        return out.getvalue()

    return _run(context, run, "the document timestamp could not be added", network=True)


def _path_refused(err: BaseException) -> bool:
    """Whether a certificate path was refused (rather than a server not answering)."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, (PathBuildingError, PathValidationError, PathError)):
            return True
        cause = cause.__cause__
    return False


def _signer_key(signer: Signer) -> str:
    cert = signer.signing_cert
    return cert.sha256.hex() if cert is not None else ""


def _run(context: SigningContext, work: Callable[[aiohttp.ClientSession | None], Awaitable[T]], failure: str,
         *, network: bool) -> T:
    """Run one signing operation on the context's loop (or a fresh one); every failure becomes a
    ``SigningError`` with a sentence."""
    try:
        if context.loop is not None:
            return context.loop.run(lambda session: work(session if network else None), timeout=4 * NETWORK_TIMEOUT)
        return outside_event_loop(
            lambda: asyncio.run(asyncio.wait_for(_with_own_session(work, network), timeout=4 * NETWORK_TIMEOUT)))
    except TimestampRequestError as err:
        raise SigningError(f"the time-stamping authority did not answer in time or refused: {err}") from err
    except (PathBuildingError, PathValidationError, PathError) as err:
        raise CertificateRefused(
            f"the signer's certificate could not be validated (revocation data unreachable?): {err}") from err
    except (TimeoutError, aiohttp.ClientError) as err:
        raise SigningError(f"{failure}: a time-stamping or revocation server did not answer in time") from err
    except PyHankoSigningError as err:
        if _path_refused(err):
            raise CertificateRefused(f"the signer's certificate could not be validated (revoked, or revocation "
                                     f"data unreachable?): {err.__cause__ or err}") from err
        raise SigningError(f"{failure}: {err}") from err
    except (PdfError, ValueError, OSError) as err:
        raise SigningError(f"{failure}: {err}") from err


async def _with_own_session(work: Callable[[aiohttp.ClientSession | None], Awaitable[T]],
                            network: bool) -> T:
    if not network:
        return await work(None)
    async with aiohttp.ClientSession() as session:
        return await work(session)


async def _sign(pdf: bytes, pdf_signer: signers.PdfSigner, bytes_reserved: int | None, params: dict | None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signed = await pdf_signer.async_sign_pdf(writer, bytes_reserved=bytes_reserved, appearance_text_params=params)
    return signed.getvalue()
