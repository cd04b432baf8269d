"""Validation of a PDF's signatures into a plain report (per signature: intact, valid, trusted…)."""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Iterable

from asn1crypto import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from .errors import ValidationError


@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer: str
    signing_time: datetime | None
    intact: bool
    valid: bool
    trusted: bool
    coverage: str
    modification_level: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted

    def as_dict(self) -> dict:
        data = asdict(self)
        data["signing_time"] = self.signing_time.isoformat() if self.signing_time else None
        data["ok"] = self.ok
        return data


def load_trust_roots(paths: Iterable[str]) -> list[x509.Certificate]:
    from pyhanko.keys import load_certs_from_pemder

    return list(load_certs_from_pemder(list(paths)))


def validate_pdf(pdf: bytes, trust_roots: list[x509.Certificate], *, revocation_mode: str = "soft-fail") -> list[SignatureReport]:
    """A report per embedded signature.  Tampering that pyHanko raises on is reported, not raised."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError) as err:
        raise ValidationError(f"the file cannot be read as a signed PDF: {err}") from err
    reports = []
    for sig in embedded:
        context = ValidationContext(trust_roots=trust_roots, allow_fetching=False, revocation_mode=revocation_mode)
        name = sig.field_name
        try:
            status = validate_pdf_signature(sig, context)
        except (SignatureValidationError, ValueError, PdfError) as err:
            reports.append(SignatureReport(name, "", None, False, False, False, "unknown", "unknown", str(err)))
            continue
        reports.append(SignatureReport(
            field=name,
            signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
            signing_time=status.signer_reported_dt,
            intact=bool(status.intact),
            valid=bool(status.valid),
            trusted=bool(status.trusted),
            coverage=status.coverage.name if status.coverage else "unknown",
            modification_level=status.modification_level.name if status.modification_level else "unknown",
        ))
    return reports
