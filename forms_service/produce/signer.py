"""``DocumentSigner``: one key's PAdES signature on a PDF, stamped, and checked before it is kept.

The Producer signs new forms with the agency's key, countersigning uses the data provider's, and
disposition certificates are signed like forms.  Each signature is validated the way a verifier
would right after signing: a signature that does not validate is an error, never a stored record.

That check leaves out pyHanko's modification analysis (~0.15 s a document, most of what B-LTA
cost over B-B) except for the first signature of each kind in the process: what follows the
signature is the validation data and archive timestamp this same code has just written, so the
first one of a kind shows whether pyHanko accepts their shape.  Every verification of a stored
document — ``forms-service verify``, the API's, a verifier's — analyses every revision.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from signing import (
    Level,
    SignatureOptions,
    SignerProvider,
    SigningContext,
    SigningError,
    add_document_timestamp,
    sign_pdf,
    verify_pdf,
)

from ..clock import Clock
from ..errors import SigningFailed
from .stamp import SIGNER_BOX, stamp

# (signature field, level) whose signature this process has checked with the modification analysis
SHAPES_ANALYSED: set[tuple[str, Level]] = set()


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    report: list[dict[str, Any]]  # one entry per signature and timestamp, as validated after signing


class DocumentSigner:
    def __init__(self, *, provider: SignerProvider, context: SigningContext, level: Level, trust_roots: list,
                 clock: Clock):
        self.provider = provider
        self.context = context
        self.level = level
        self.trust_roots = trust_roots
        self.clock = clock

    def signer_name(self) -> str:
        """The common name (or organisation) of the signing certificate."""
        try:
            certificate = self.provider.signer().signing_cert
        except SigningError as err:  # the key or token is not available
            raise SigningFailed(str(err)) from err
        if certificate is None:
            raise SigningFailed("the signing key comes without its certificate")
        subject = certificate.subject.native
        return str(subject.get("common_name") or subject.get("organization_name") or "")

    def sign(self, pdf: bytes, *, field_name: str, reason: str, location: str, stamp_role: str,
             stamp_agency: str, stamp_box: tuple[int, int, int, int] = SIGNER_BOX) -> SignedPdf:
        """``pdf`` with one more signature at the service's level and a visible stamp."""
        options = SignatureOptions(
            field_name=field_name, reason=reason, location=location, level=self.level,
            stamp=stamp(stamp_role, self.signer_name(), stamp_agency, self.clock.now(), box=stamp_box),
        )
        try:
            signed = sign_pdf(pdf, self.provider.signer(), options, self.context)
        except SigningError as err:
            raise SigningFailed(str(err)) from err
        shape = (field_name, self.level)
        checked = self._checked(signed, "the new signature did not validate, nothing was stored",
                                analyse_changes=shape not in SHAPES_ANALYSED)
        SHAPES_ANALYSED.add(shape)  # only once it passed: a refused shape is analysed again next time
        return checked

    def timestamp(self, pdf: bytes) -> SignedPdf:
        """Fresh validation data and a new document timestamp over ``pdf`` (B-LTA renewal)."""
        try:
            renewed = add_document_timestamp(pdf, self.context)
        except SigningError as err:
            raise SigningFailed(str(err)) from err
        return self._checked(renewed, "the renewed document did not validate")

    def _checked(self, pdf: bytes, failure: str, *, analyse_changes: bool = True) -> SignedPdf:
        try:
            verification = verify_pdf(pdf, self.trust_roots, revocation_mode="soft-fail",
                                      analyse_changes=analyse_changes)
        except SigningError as err:
            raise SigningFailed(f"{failure}: {err}") from err
        if not verification.ok:
            raise SigningFailed(f"{failure}: " + "; ".join(verification.problems))
        return SignedPdf(pdf, [r.as_dict() for r in verification.signatures])
