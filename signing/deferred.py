"""Signing in two steps, with a key the service never holds: a person's card in his own browser.

    prepare   the PDF with this signature's revision written and its /Contents reserved, and the
              bytes the card signs: the DER of the CMS signed attributes (content type, the digest
              of the document's byte range, a reference to the signer's certificate).  A card asked
              for a PKCS#1 signature with SHA-256 hashes those bytes itself.
    complete  the card's raw signature checked against the certificate and those very bytes, the
              signer's certificate validated now (chain and revocation, hard-fail), the CMS built
              round the signature with its signature timestamp, embedded in the reserved place, then
              the validation data and the document timestamp of the context's level (B-LTA).

This is pyHanko's "interrupted signing" (EU DSS calls the steps getDataToSign and signDocument).
Between the steps ``Prepared`` is all there is — bytes and numbers a session keeps in a database —
so the two steps may run in different processes, minutes apart.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument, PostSignInstructions, PreSignValidationStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .errors import SigningError
from .pades import LTA_DSS, Level, SignatureOptions, SigningContext, _run

HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@dataclass(frozen=True)
class Prepared:
    """A document waiting for one signature: what the card must sign, and where its answer goes."""

    document: bytes  # the document in its final pre-signing state, the signature's place reserved
    original_length: int  # the document before this signature's revision (its first bytes)
    to_be_signed: bytes  # DER of the CMS signed attributes: what the card signs
    document_digest: bytes
    reserved_start: int
    reserved_end: int
    md_algorithm: str
    signing_time: datetime


class SignatureMismatch(SigningError):
    """The signature handed back is not the certificate's key's over the prepared bytes."""


def prepare(pdf: bytes, certificate: asn1_x509.Certificate, *, chain: list[asn1_x509.Certificate],
            options: SignatureOptions, context: SigningContext, now: datetime) -> Prepared:
    """The document prepared for ``certificate``'s signature in the field ``options.field_name``
    (the field must exist: a block of the document), its stamp drawn now."""

    async def run(_session: aiohttp.ClientSession | None) -> Prepared:
        external = _external(certificate, chain, bytes(_signature_size(certificate)))
        meta = signers.PdfSignatureMetadata(
            field_name=options.field_name, md_algorithm=options.md_algorithm, subfilter=fields.SigSeedSubFilter.PADES,
            reason=options.reason or None, location=options.location or None,
            contact_info=options.contact_info or None)
        extra: dict[str, Any] = {}
        params = None
        if options.stamp is not None and context.stamp_font is not None:
            extra = {"stamp_style": context.stamp_font.style(options.stamp.text)}
            params = {"stamp": options.stamp.text}
        pdf_signer = signers.PdfSigner(meta, signer=external, **extra)
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        digest, _tbs, output = await pdf_signer.async_digest_doc_for_signing(
            writer, existing_fields_only=True, bytes_reserved=options.reserve, appearance_text_params=params)
        attributes = await external.signed_attrs(
            digest.document_digest, options.md_algorithm, attr_settings=PdfCMSSignedAttributes(signing_time=now),
            use_pades=True)
        assert isinstance(output, io.BytesIO)
        return Prepared(document=output.getvalue(), original_length=len(pdf), to_be_signed=attributes.dump(),
                        document_digest=digest.document_digest, reserved_start=digest.reserved_region_start,
                        reserved_end=digest.reserved_region_end, md_algorithm=options.md_algorithm,
                        signing_time=now)

    return _run(context, run, "the document could not be prepared for signing", network=False)


def signature_problem(certificate: asn1_x509.Certificate, to_be_signed: bytes, signature: bytes,
                      md_algorithm: str = "sha256") -> str:
    """Why ``signature`` is not ``certificate``'s key's over ``to_be_signed`` (a sentence), or ""."""
    key = pyca_x509.load_der_x509_certificate(certificate.dump()).public_key()
    digest = HASHES[md_algorithm]()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, to_be_signed, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(_der_ecdsa(signature, key), to_be_signed, ec.ECDSA(digest))
        else:
            return "the certificate's key is neither RSA nor ECDSA"
    except (InvalidSignature, ValueError):
        return "the signature is not the certificate's key's over the prepared bytes"
    return ""


def complete(prepared: Prepared, certificate: asn1_x509.Certificate, signature: bytes, *,
             chain: list[asn1_x509.Certificate], level: Level, context: SigningContext) -> bytes:
    """The signed document; ``SignatureMismatch`` when the signature is not over the prepared
    bytes by the certificate's key, ``SigningError`` when the certificate does not validate now
    (revoked, expired, an unknown CA) or a server of the level does not answer."""
    problem = signature_problem(certificate, prepared.to_be_signed, signature, prepared.md_algorithm)
    if problem:
        raise SignatureMismatch(problem)
    if level.needs_timestamp and not context.has_timestamps:
        raise SigningError(f"signing at {level} needs a time-stamping authority (FORMS_TSA_URL)")

    async def run(session: aiohttp.ClientSession | None) -> bytes:
        timestamper = context.make_timestamper(session) if session is not None else None
        validation_context = context.validation_context(session) if session is not None else None
        instructions = None
        if validation_context is not None:
            # The certificate validated now, revocation fetched (hard-fail): a card revoked since the
            # session began is refused here.  Its data is what B-LT embeds.
            status = await _presign_status(prepared, certificate, chain, validation_context)
            if level.embeds_validation_info:
                instructions = PostSignInstructions(
                    validation_info=status, timestamper=timestamper if level is Level.B_LTA else None,
                    timestamp_md_algorithm=prepared.md_algorithm, dss_settings=LTA_DSS)
        external = _external(certificate, chain, signature)
        container = await external.async_sign_prescribed_attributes(
            prepared.md_algorithm, cms.CMSAttributes.load(prepared.to_be_signed), timestamper=timestamper)
        output = io.BytesIO(prepared.document)
        digest = PreparedByteRangeDigest(prepared.document_digest, prepared.reserved_start, prepared.reserved_end)
        await PdfTBSDocument.async_finish_signing(output, digest, container, post_sign_instr=instructions,
                                                  validation_context=validation_context)
        return output.getvalue()

    return _run(context, run, "the signature could not be completed", network=level.needs_timestamp)


async def _presign_status(prepared: Prepared, certificate: asn1_x509.Certificate, chain: list[asn1_x509.Certificate],
                          validation_context: ValidationContext) -> PreSignValidationStatus:
    """The signer's certificate validated as pyHanko validates before signing, on the document as
    it was before this signature (for an earlier document timestamp's chain)."""
    meta = signers.PdfSignatureMetadata(field_name="_", subfilter=fields.SigSeedSubFilter.PADES,
                                        validation_context=validation_context,
                                        embed_validation_info=True, use_pades_lta=True)
    pdf_signer = signers.PdfSigner(meta, signer=_external(certificate, chain, b""))
    before = IncrementalPdfFileWriter(io.BytesIO(prepared.document[:prepared.original_length]), strict=False)
    status = await pdf_signer.init_signing_session(before).perform_presign_validation(before)
    if status is None:  # only without a validation context, which this always has
        raise SigningError("the signer's certificate was not validated")
    return status


def _external(certificate: asn1_x509.Certificate, chain: list[asn1_x509.Certificate],
              value: bytes) -> signers.ExternalSigner:
    return signers.ExternalSigner(signing_cert=certificate, cert_registry=SimpleCertificateStore.from_certs(chain),
                                  signature_value=value or 256)


def _signature_size(certificate: asn1_x509.Certificate) -> int:
    """Bytes of a signature by the certificate's key (a placeholder of that size at preparing)."""
    key = pyca_x509.load_der_x509_certificate(certificate.dump()).public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return (key.key_size + 7) // 8
    if isinstance(key, ec.EllipticCurvePublicKey):
        return 2 * ((key.key_size + 7) // 8) + 8  # DER of (r, s) at most
    return 512


def _der_ecdsa(signature: bytes, key: ec.EllipticCurvePublicKey) -> bytes:
    """An ECDSA signature as DER: cards answer r‖s, each the curve's size."""
    size = (key.key_size + 7) // 8
    if len(signature) == 2 * size:
        return encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
    return signature
