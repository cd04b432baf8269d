"""Signing errors with stable codes; pyHanko and cryptography errors are wrapped with ``from``."""


class SigningError(Exception):
    code = "signing_failed"


class SignerUnavailable(SigningError):
    """The key cannot be used: file missing, wrong password or PIN, token absent."""

    code = "signer_unavailable"


class ValidationError(SigningError):
    """A PDF's signatures could not be read at all (not a PDF, no signature dictionary)."""

    code = "signature_unreadable"


class CertificateRefused(SigningError):
    """The signer's certificate does not validate now: revoked, expired, or of an unknown CA."""

    code = "certificate_refused"
