"""PAdES signing of the archived PDFs with pyHanko: signer providers, signing, validation.

Never imports Flask or ``forms_service``.  Providers only open and close keys or token sessions;
the pyHanko ``Signer`` they hand out is used as it is.
"""

from . import asn1_dump, hex_strings, name_prep
from .errors import SignerUnavailable, SigningError, ValidationError
from .loop import SigningLoop
from .pades import Level, SignatureOptions, SigningContext, add_document_timestamp, sign_pdf
from .providers import Pkcs11Provider, Pkcs12Provider, SignerProvider
from .revocation import RevocationCache, RevocationSnapshot
from .stamp import Stamp, StampFont
from .validation import SignatureReport, Verification, validate_pdf, verify_pdf

hex_strings.install()  # every PDF this package reads, reads a signature's /Contents in one pass
name_prep.install()  # certificate names prepared for comparison once per process
asn1_dump.install()  # a built CMS, timestamp or OCSP request encoded once, not once per level above it

__all__ = [
    "Level", "Pkcs11Provider", "Stamp", "StampFont", "Pkcs12Provider", "SignatureOptions", "SignatureReport",
    "RevocationCache", "RevocationSnapshot", "SignerProvider", "SigningLoop",
    "SignerUnavailable", "SigningContext", "SigningError", "ValidationError", "Verification",
    "add_document_timestamp", "sign_pdf", "validate_pdf", "verify_pdf",
]
