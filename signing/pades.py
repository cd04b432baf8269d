"""PAdES signing of a PDF with a pyHanko ``Signer``, as an incremental update.

Incremental: the converted PDF/A stays byte-for-byte the first revision, so PDF/A conformance
and earlier signatures are preserved.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.signers.pdf_cms import Signer

from .errors import SigningError


@dataclass(frozen=True)
class SignatureOptions:
    field_name: str = "Signature1"
    reason: str = ""
    location: str = ""
    contact_info: str = ""
    md_algorithm: str = "sha256"
    # Space for the CMS blob.  Without it pyHanko builds the whole signature twice (a dry run to
    # measure it), which doubled the signing time; when a signature outgrows this reserve we fall
    # back to that measurement, so a too-small value costs time, never a signature.
    bytes_reserved: int | None = 8192


def sign_pdf(pdf: bytes, signer: Signer, options: SignatureOptions = SignatureOptions()) -> bytes:
    """A new revision of ``pdf`` carrying one more PAdES signature (B-B)."""
    meta = signers.PdfSignatureMetadata(
        field_name=options.field_name,
        md_algorithm=options.md_algorithm,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=options.reason or None,
        location=options.location or None,
        contact_info=options.contact_info or None,
    )
    try:
        try:
            return _sign(pdf, meta, signer, options.bytes_reserved)
        except PyHankoSigningError as err:
            if options.bytes_reserved is None or "larger than expected" not in str(err):
                raise
            return _sign(pdf, meta, signer, None)
    except (PdfError, PyHankoSigningError, ValueError) as err:
        raise SigningError(f"the PDF could not be signed: {err}") from err


def _sign(pdf: bytes, meta: signers.PdfSignatureMetadata, signer: Signer, bytes_reserved: int | None) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = signers.PdfSigner(meta, signer=signer).sign_pdf(writer, bytes_reserved=bytes_reserved)
    return out.getvalue()
