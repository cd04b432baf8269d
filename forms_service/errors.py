"""The application's error hierarchy: a stable ``code``, a human sentence, and optional details.

Lower layers (``signing``, ``storage``) have their own small hierarchies; the domain code wraps
them in these with ``raise … from err``.  HTTP status codes are *not* decided here: ``web/errors.py``
maps error types to statuses, and the CLI maps every ``InputError`` to exit status 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field: ``path`` like ``representative.name`` or ``users[0].email``."""

    path: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message, "code": self.code}


class FormsError(Exception):
    """Base class: every error the service raises on purpose carries a stable code."""

    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class InputError(FormsError):
    """The caller's input is wrong; nothing was produced or stored."""

    code = "invalid_input"


class ValidationFailed(InputError):
    """One or more fields failed validation; ``problems`` names each field path."""

    code = "validation_failed"

    def __init__(self, problems: list[FieldProblem], *, form_id: str | None = None):
        self.problems = problems
        self.form_id = form_id
        first = problems[0] if problems else FieldProblem("", "內容不正確")
        more = f"（另有 {len(problems) - 1} 項問題）" if len(problems) > 1 else ""
        where = f"{form_id}: " if form_id else ""
        super().__init__(
            f"{where}{first.path or '(body)'}: {first.message}{more}",
            details={"errors": [p.as_dict() for p in problems]},
        )


class UnknownForm(InputError):
    code = "unknown_form"


class NotFound(FormsError):
    """No such thing — or nothing the caller may see (the answer is the same on purpose)."""

    code = "not_found"


class Unauthorized(FormsError):
    code = "unauthorized"


class Forbidden(FormsError):
    code = "forbidden"


class TooManyAttempts(FormsError):
    """Too many failed authentications from one address; ``retry_after`` seconds to wait."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, details: dict[str, Any] | None = None):
        super().__init__(message, details=details)
        self.retry_after = retry_after


class SignatureRequired(FormsError):
    """A document cannot be signed now without a person: its next signature block is a person's
    (or its agency has no key registered) — he signs it with his own card."""

    code = "signature_required"


class SignatureRefused(InputError):
    """A signature handed in is not taken: not over the prepared bytes, by a card not the signer's,
    by a certificate revoked or of another agency; nothing is kept."""

    code = "signature_refused"


class SessionExpired(FormsError):
    """A signing session ended (expired, or already completed): it is begun again from the start."""

    code = "signing_session_expired"


class Conflict(FormsError):
    """The request clashes with the state of a resource (e.g. a reused Idempotency-Key)."""

    code = "conflict"


class ConfigError(FormsError):
    """A setting is wrong; raised at start-up, names the setting."""

    code = "bad_setting"


class ServiceUnavailable(FormsError):
    """A component the request needs (store, converter, signer) failed or is down."""

    code = "service_unavailable"


class ConversionFailed(ServiceUnavailable):
    code = "conversion_failed"


class MailFailed(ServiceUnavailable):
    """The SMTP server could not be reached or refused a reminder."""

    code = "mail_failed"


class SigningFailed(ServiceUnavailable):
    code = "signing_failed"


class StorageFailed(ServiceUnavailable):
    code = "storage_unavailable"


class IntegrityFailed(FormsError):
    """Archived bytes read back do not match the sha256 the catalog recorded: the evidence was
    altered or damaged in the store.  Never served; the read is written to the audit log."""

    code = "integrity_mismatch"
