"""PAdES signing with a pyHanko ``Signer``, at levels B-B, B-T, B-LT and B-LTA, incrementally.

Incremental: the converted PDF/A stays byte-for-byte the first revision, so PDF/A conformance
and earlier signatures are preserved.

- B-B   the CMS signature alone;
- B-T   plus an RFC 3161 signature timestamp from a TSA;
- B-LT  plus the certificates, OCSP responses and CRLs needed to validate it later (DSS);
- B-LTA plus a document timestamp over all of that, renewable before its certificate expires.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.errors import ValidationError as PathError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from ._sync import outside_event_loop
from .errors import SigningError
from .stamp import Stamp, StampFont

NETWORK_TIMEOUT = 5.0  # seconds for the TSA, OCSP and CRL: a fault must come back fast


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

    @property
    def has_timestamps(self) -> bool:
        return bool(self.timestamper or self.tsa_url)

    def make_timestamper(self, session: aiohttp.ClientSession) -> TimeStamper | None:
        if self.timestamper is not None:
            return self.timestamper
        if self.tsa_url:
            return HTTPTimeStamper(self.tsa_url, timeout=NETWORK_TIMEOUT, session=session)
        return None

    def validation_context(self, session: aiohttp.ClientSession) -> ValidationContext:
        return ValidationContext(
            trust_roots=list(self.trust_roots), allow_fetching=True, revocation_mode="hard-fail",
            fetcher_backend=AIOHttpFetcherBackend(session=session, per_request_timeout=NETWORK_TIMEOUT),
        )


def sign_pdf(pdf: bytes, signer: Signer, options: SignatureOptions = SignatureOptions(),
             context: SigningContext = SigningContext()) -> bytes:
    """A new revision of ``pdf`` carrying one more PAdES signature at ``options.level``."""
    level = options.level
    if level.needs_timestamp and not context.has_timestamps:
        raise SigningError(f"signing at {level} needs a time-stamping authority (FORMS_TSA_URL)")

    async def run() -> bytes:
        # One HTTP session per signature for the TSA, OCSP and CRL requests, closed at the end;
        # none for B-B, which needs no network.
        async with (aiohttp.ClientSession() if level.needs_timestamp else contextlib.nullcontext()) as session:
            meta = signers.PdfSignatureMetadata(
                field_name=options.field_name,
                md_algorithm=options.md_algorithm,
                subfilter=fields.SigSeedSubFilter.PADES,
                reason=options.reason or None,
                location=options.location or None,
                contact_info=options.contact_info or None,
                validation_context=(context.validation_context(session)
                                    if session is not None and level.embeds_validation_info else None),
                embed_validation_info=level.embeds_validation_info,
                use_pades_lta=level is Level.B_LTA,
            )
            timestamper = context.make_timestamper(session) if session is not None else None
            extra: dict[str, Any] = {}
            params = None
            if options.stamp is not None and context.stamp_font is not None:
                extra = {
                    "stamp_style": context.stamp_font.style(options.stamp.text),
                    "new_field_spec": fields.SigFieldSpec(options.field_name, on_page=options.stamp.page,
                                                          box=options.stamp.box),
                }
                params = {"stamp": options.stamp.text}
            pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper, **extra)
            try:
                return await _sign(pdf, pdf_signer, options.reserve, params)
            except PyHankoSigningError as err:
                if "larger than expected" not in str(err):
                    raise
                return await _sign(pdf, pdf_signer, None, params)

    return _run(run, "the PDF could not be signed")


def add_document_timestamp(pdf: bytes, context: SigningContext) -> bytes:
    """Renew the archival chain: fresh validation data and a new document timestamp (B-LTA)."""
    if not context.has_timestamps:
        raise SigningError("renewing archive timestamps needs a time-stamping authority (FORMS_TSA_URL)")

    async def run() -> bytes:
        async with aiohttp.ClientSession() as session:
            out = io.BytesIO()
            timestamper = context.make_timestamper(session)
            assert timestamper is not None  # has_timestamps was checked above
            await signers.PdfTimeStamper(timestamper).async_update_archival_timestamp_chain(
                PdfFileReader(io.BytesIO(pdf), strict=False), context.validation_context(session),
                in_place=False, output=out,
            )
            return out.getvalue()

    return _run(run, "the document timestamp could not be added")


def _run(coroutine_function: Callable[[], Awaitable[bytes]], failure: str) -> bytes:
    """Run one signing operation; every failure becomes a ``SigningError`` with a sentence."""
    try:
        return outside_event_loop(
            lambda: asyncio.run(asyncio.wait_for(coroutine_function(), timeout=4 * NETWORK_TIMEOUT)))
    except TimestampRequestError as err:
        raise SigningError(f"the time-stamping authority did not answer in time or refused: {err}") from err
    except (PathBuildingError, PathValidationError, PathError) as err:
        raise SigningError(
            f"the signer's certificate could not be validated (revocation data unreachable?): {err}") from err
    except (TimeoutError, aiohttp.ClientError) as err:
        raise SigningError(f"{failure}: a time-stamping or revocation server did not answer in time") from err
    except (PdfError, PyHankoSigningError, ValueError, OSError) as err:
        raise SigningError(f"{failure}: {err}") from err


async def _sign(pdf: bytes, pdf_signer: signers.PdfSigner, bytes_reserved: int | None, params: dict | None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    signed = await pdf_signer.async_sign_pdf(writer, bytes_reserved=bytes_reserved, appearance_text_params=params)
    return signed.getvalue()
