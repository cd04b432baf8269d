"""PAdES signing of the archived PDFs with pyHanko: signer providers, signing, validation.

Never imports Flask or ``forms_service``.  Providers only open and close keys or token sessions;
the pyHanko ``Signer`` they hand out is used as it is.  Importing it changes no library: the
functions it replaces for speed are installed by whoever starts a process (``replacements``).
"""

from .errors import SignerUnavailable, SigningError, ValidationError
from .loop import SigningLoop
from .pades import Level, SignatureOptions, SigningContext, add_document_timestamp, sign_pdf
from .providers import Pkcs11Provider, Pkcs12Provider, SignerProvider
from .revocation import RevocationCache, RevocationSnapshot
from .stamp import Stamp, StampFont
from .validation import SignatureReport, Verification, validate_pdf, verify_pdf

__all__ = [
    "Level", "Pkcs11Provider", "Stamp", "StampFont", "Pkcs12Provider", "SignatureOptions", "SignatureReport",
    "RevocationCache", "RevocationSnapshot", "SignerProvider", "SigningLoop",
    "SignerUnavailable", "SigningContext", "SigningError", "ValidationError", "Verification",
    "add_document_timestamp", "sign_pdf", "validate_pdf", "verify_pdf",
]
