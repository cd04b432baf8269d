"""``DocumentSigner``: a PAdES signature on a PDF, stamped, and checked before it is kept.

Its own key is the service's seal (what the service itself issues: disposition certificates,
audit seals, exports); a document's blocks are signed with their signers' keys — the agency's, the
data provider's — handed to ``sign`` with the block (``sign_block``), the stamp inside the block's
field.  A person's card signs in two steps (``prepare_block``, then ``complete_block`` with the
card's raw signature: ``signing.deferred``), the service never holding its key.  Each signature is
validated the way a verifier would right after signing: a signature that does not validate is an
error, never a stored record.

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
    deferred,
    sign_pdf,
    verify_pdf,
)
from signing.errors import CertificateRefused

from ..clock import Clock
from ..errors import SignatureRefused, SigningFailed
from .stamp import SIGNER_BOX, stamp

# (signature field, level) whose signature this process has checked with the modification analysis
SHAPES_ANALYSED: set[tuple[str, Level]] = set()


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    report: list[dict[str, Any]]  # one entry per signature and timestamp, as validated after signing


def certificate_names(certificate: Any) -> tuple[str, str]:
    """(who, which agency) as a certificate names them: a 機關憑證 names the agency (its CN, or O);
    a 自然人憑證 names the person (CN) and no agency."""
    subject = certificate.subject.native
    return (str(subject.get("common_name") or subject.get("organization_name") or ""),
            str(subject.get("organization_name") or ""))


class DocumentSigner:
    def __init__(self, *, provider: SignerProvider, context: SigningContext, level: Level, trust_roots: list,
                 clock: Clock):
        self.provider = provider
        self.context = context
        self.level = level
        self.trust_roots = trust_roots
        self.clock = clock

    def signer_name(self, provider: SignerProvider | None = None) -> str:
        """The common name (or organisation) of the signing certificate (of ``provider``, or the seal)."""
        return certificate_names(self._certificate(provider))[0]

    def _certificate(self, provider: SignerProvider | None) -> Any:
        try:
            certificate = (provider or self.provider).signer().signing_cert
        except SigningError as err:  # the key or token is not available
            raise SigningFailed(str(err)) from err
        if certificate is None:
            raise SigningFailed("the signing key comes without its certificate")
        return certificate

    def sign_block(self, pdf: bytes, *, provider: SignerProvider, block: str, label: str, reason: str,
                   location: str) -> SignedPdf:
        """``pdf`` signed in the signature field ``block`` (made with the document) with ``provider``'s
        key, its stamp in the block: the block's label, and the signer and agency as its certificate
        names them."""
        name, agency = certificate_names(self._certificate(provider))
        return self.sign(pdf, field_name=block, reason=reason, location=location, stamp_role=label,
                         stamp_agency=agency or location, stamp_box=None, provider=provider, signer_name=name)

    def sign(self, pdf: bytes, *, field_name: str, reason: str, location: str, stamp_role: str,
             stamp_agency: str, stamp_box: tuple[int, int, int, int] | None = SIGNER_BOX,
             provider: SignerProvider | None = None, signer_name: str = "") -> SignedPdf:
        """``pdf`` with one more signature at the service's level and a visible stamp (at ``stamp_box``,
        or inside the existing field ``field_name``), by ``provider``'s key or the seal."""
        provider = provider or self.provider
        options = SignatureOptions(
            field_name=field_name, reason=reason, location=location, level=self.level,
            stamp=stamp(stamp_role, signer_name or self.signer_name(provider), stamp_agency, self.clock.now(),
                        box=stamp_box),
        )
        try:
            signed = sign_pdf(pdf, provider.signer(), options, self.context)
        except SigningError as err:
            raise SigningFailed(str(err)) from err
        shape = (field_name, self.level)
        checked = self._checked(signed, "the new signature did not validate, nothing was stored",
                                analyse_changes=shape not in SHAPES_ANALYSED)
        SHAPES_ANALYSED.add(shape)  # only once it passed: a refused shape is analysed again next time
        return checked

    def prepare_block(self, pdf: bytes, certificate: Any, *, chain: list[Any], block: str, label: str, reason: str,
                      location: str) -> deferred.Prepared:
        """``pdf`` ready for ``certificate``'s signature in the field ``block``, its stamp drawn
        (the block's label, the signer and the agency as the certificate names them)."""
        name, agency = certificate_names(certificate)  # a person's card names no agency: nor does his stamp
        now = self.clock.now()
        options = SignatureOptions(field_name=block, reason=reason, location=location, level=self.level,
                                   stamp=stamp(label, name, agency, now, box=None))
        try:
            return deferred.prepare(pdf, certificate, chain=chain, options=options, context=self.context, now=now)
        except SigningError as err:
            raise SigningFailed(str(err)) from err

    def complete_block(self, prepared: deferred.Prepared, certificate: Any, signature: bytes, *,
                       chain: list[Any]) -> SignedPdf:
        """The prepared document signed with the card's ``signature``, at the service's level, and
        validated; ``SignatureRefused`` (a sentence) when the signature or the certificate is not
        taken, ``SigningFailed`` when a server of the level does not answer."""
        try:
            signed = deferred.complete(prepared, certificate, signature, chain=chain, level=self.level,
                                       context=self.context)
        except deferred.SignatureMismatch as err:
            raise SignatureRefused("簽章與準備簽署的內容不符（不是這張憑證卡對本文件的簽章）：請重新開始簽章",
                                   details={"field": "signature", "why": str(err)}) from err
        except CertificateRefused as err:
            raise SignatureRefused("您的憑證已廢止、過期或無法驗證，不能用來簽章：請洽發卡機關或改用有效的憑證卡",
                                   details={"field": "certificate", "why": str(err)}) from err
        except SigningError as err:
            raise SigningFailed(str(err)) from err
        return self._checked(signed, "the new signature did not validate, nothing was stored")

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
