"""PAdES signing of the archived PDFs with pyHanko: signer providers, signing, validation.

Never imports Flask or ``forms_service``.  Providers only open and close keys or token sessions;
the pyHanko ``Signer`` they hand out is used as it is.
"""

from .errors import SignerUnavailable, SigningError, ValidationError
from .pades import SignatureOptions, sign_pdf
from .providers import Pkcs12Provider, SignerProvider
from .validation import SignatureReport, validate_pdf

__all__ = [
    "Pkcs12Provider", "SignatureOptions", "SignatureReport", "SignerProvider", "SignerUnavailable",
    "SigningError", "ValidationError", "sign_pdf", "validate_pdf",
]
