"""Detached CMS signatures (``.p7s``) over arbitrary bytes: evidence-export manifests, sealed audit segments.

The same pyHanko ``Signer`` that signs the PDFs signs here, with an RFC 3161 signature timestamp
when a TSA is configured, so a manifest is checkable with standard tools
(``openssl cms -verify -binary -inform DER -in manifest.json.p7s -content manifest.json``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import cms
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
from pyhanko_certvalidator import ValidationContext

from ._sync import outside_event_loop
from .errors import SigningError, ValidationError

TSA_TIMEOUT = 5.0


def sign_detached(signer: Signer, data: bytes, *, tsa_url: str = "") -> bytes:
    """The DER of a detached CMS SignedData over ``data`` (sha256; timestamped when ``tsa_url``)."""
    timestamper = HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT) if tsa_url else None

    async def run() -> cms.ContentInfo:
        return await signer.async_sign_general_data(data, "sha256", detached=True, timestamper=timestamper)

    try:
        return outside_event_loop(lambda: asyncio.run(run())).dump()
    except (TimestampRequestError, OSError) as err:
        raise SigningError(f"the timestamp authority did not answer: {err}") from err
    except PyHankoSigningError as err:
        raise SigningError(f"the detached signature could not be made: {err}") from err


@dataclass(frozen=True)
class DetachedReport:
    """Whether a ``.p7s`` verifies over the given bytes, and who made it when."""

    signer: str
    signing_time: datetime | None
    timestamp: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    signer_sha256: str = ""  # fingerprint of the signing certificate, to pin who signed

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted

    def as_dict(self) -> dict:
        return {
            "signer": self.signer,
            "signing_time": self.signing_time.isoformat() if self.signing_time else None,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "intact": self.intact, "valid": self.valid, "trusted": self.trusted, "ok": self.ok,
            "signer_sha256": self.signer_sha256,
        }


def verify_detached(data: bytes, signature: bytes, trust_roots: list) -> DetachedReport:
    """Check a detached signature over ``data``; a file that is not CMS raises ``ValidationError``."""
    try:
        content = cms.ContentInfo.load(signature)
        signed_data = content["content"]
        if content["content_type"].native != "signed_data":
            raise ValueError("not a CMS SignedData")
    except (ValueError, TypeError, KeyError) as err:
        raise ValidationError(f"the signature file is not a CMS signature: {err}") from err
    context = ValidationContext(trust_roots=trust_roots, allow_fetching=False, revocation_mode="soft-fail")

    async def run() -> Any:
        return await async_validate_detached_cms(data, signed_data, signer_validation_context=context,
                                                 ts_validation_context=context)

    try:
        status = outside_event_loop(lambda: asyncio.run(run()))
    except (SignatureValidationError, ValueError):
        return DetachedReport("", None, None, False, False, False)
    timestamp = getattr(status, "timestamp_validity", None)
    return DetachedReport(
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signing_time=status.signer_reported_dt,
        timestamp=timestamp.timestamp if timestamp else None,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        signer_sha256=status.signing_cert.sha256.hex() if status.signing_cert else "",
    )
