"""Validation of a PDF's signatures into a plain report, one entry per signature or timestamp.

Each entry says who signed and when, the timestamp, the PAdES level reached, whether the
signature is intact (the signed bytes are unchanged), valid (the cryptography holds) and trusted
(the certificate chains to a configured root and was not revoked), how revocation was checked,
pyHanko's modification analysis and what the signature covers.

Signatures with a timestamp and embedded validation data (B-LT, B-LTA) are validated as of their
timestamp with the revocation data in the document's DSS — the point of long-term validation.
Others are validated now, with the configured revocation policy.  Tampering that pyHanko raises
on is reported as a problem, never raised.

The modification analysis reads every object of every revision in pure Python (~0.15 s for a
two-page form).  The service's check right after signing may leave it out
(``analyse_changes=False``): the revisions after its signature are then its own validation data
and archive timestamp, written seconds before by the same code, and the report says
``NOT_ANALYSED``; every verification of a stored document runs it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from asn1crypto import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko_certvalidator import ValidationContext

from ._sync import outside_event_loop
from .errors import ValidationError

# Modification levels a signed archive document may show: nothing after the signature, later
# signatures and form filling (countersigning), or long-term validation data and timestamps.
ACCEPTABLE_CHANGES = {"NONE", "LTA_UPDATES", "FORM_FILLING"}
NOT_ANALYSED = "NOT_ANALYSED"  # the modification analysis was left out (``analyse_changes=False``)


@dataclass(frozen=True)
class SignatureReport:
    field: str
    kind: str  # "signature" or "document timestamp"
    signer: str
    signing_time: datetime | None
    timestamp: datetime | None
    level: str
    intact: bool
    valid: bool
    trusted: bool
    revocation: str
    coverage: str
    modification_level: str
    problem: str = ""

    @property
    def ok(self) -> bool:
        return (self.intact and self.valid and self.trusted and not self.problem
                and self.modification_level in {*ACCEPTABLE_CHANGES, NOT_ANALYSED})

    def as_dict(self) -> dict:
        # Shallow on purpose: dataclasses.asdict deep-copies, and copying the datetimes pyHanko
        # returns cost ~0.4 s per report.
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("signing_time", "timestamp"):
            data[key] = data[key].isoformat() if data[key] else None
        data["ok"] = self.ok
        return data


@dataclass(frozen=True)
class Verification:
    """The signatures' reports and the problems found with the document as a whole."""

    signatures: list[SignatureReport]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return bool(self.signatures) and all(s.ok for s in self.signatures) and not self.problems

    def as_dict(self) -> dict:
        return {"ok": self.ok, "signatures": [s.as_dict() for s in self.signatures], "problems": self.problems}


def verify_pdf(pdf: bytes, trust_roots: list[x509.Certificate], *, revocation_mode: str = "soft-fail",
               analyse_changes: bool = True) -> Verification:
    """Every signature's report, plus what pyHanko does not flag by itself (see ``unsigned_changes``)."""
    signatures = validate_pdf(pdf, trust_roots, revocation_mode=revocation_mode, analyse_changes=analyse_changes)
    problems = [] if signatures else ["the document has no signature"]
    problems += [f"{s.field}: {s.problem or _why(s)}" for s in signatures if not s.ok]
    problems += unsigned_changes(pdf)
    return Verification(signatures, problems)


def _why(report: SignatureReport) -> str:
    if not report.intact:
        return "the signed bytes were changed"
    if not report.valid:
        return "the signature does not verify"
    if not report.trusted:
        return "the signer's certificate does not chain to a trusted root, or was revoked"
    return f"the document was modified after this signature ({report.modification_level})"


_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")
_INFO_REF = re.compile(rb"/Info\s+(\d+)\s+(\d+)\s+R")


def unsigned_changes(pdf: bytes) -> list[str]:
    """Changes after the last signature or timestamp that pyHanko's analysis lets through.

    pyHanko ignores the trailer's /Info: a title or author changed after signing would pass.
    Bytes after the last signed revision may only add validation data (a DSS update).
    """
    ends = [int(m[3]) + int(m[4]) for m in _BYTE_RANGE.finditer(pdf)]
    if not ends:
        return []
    signed_end = max(ends)
    signed, tail = pdf[:signed_end], pdf[signed_end:]
    signed_info = _INFO_REF.findall(signed)
    if not tail.strip() or not signed_info:
        return []
    info_number = signed_info[-1][0]
    problems = []
    if any(ref != signed_info[-1] for ref in _INFO_REF.findall(tail)) or re.search(
        rb"(?<![0-9])" + info_number + rb"\s+\d+\s+obj\b", tail
    ):
        problems.append("the document information (/Info: title, author, dates) was changed after the last signature")
    if re.search(rb"/Type\s*/Page\b", tail):
        problems.append("pages were changed or added after the last signature")
    return problems


def load_trust_roots(paths: Iterable[str]) -> list[x509.Certificate]:
    from pyhanko.keys import load_certs_from_pemder

    return list(load_certs_from_pemder(list(paths)))


def validate_pdf(pdf: bytes, trust_roots: list[x509.Certificate], *,
                 revocation_mode: str = "soft-fail", analyse_changes: bool = True) -> list[SignatureReport]:
    """A report per embedded signature and document timestamp, in file order."""
    return outside_event_loop(lambda: _validate_pdf(pdf, trust_roots, revocation_mode, analyse_changes))


def _validate_pdf(pdf: bytes, trust_roots: list[x509.Certificate], revocation_mode: str,
                  analyse_changes: bool) -> list[SignatureReport]:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError) as err:
        raise ValidationError(f"the file cannot be read as a signed PDF: {err}") from err
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except (PdfError, ValueError, KeyError):
        dss = None
    doc_timestamps = [i for i, sig in enumerate(embedded) if sig.sig_object_type == "/DocTimeStamp"]
    reports = []
    for index, sig in enumerate(embedded):
        if sig.sig_object_type == "/DocTimeStamp":
            reports.append(_timestamp_report(sig, trust_roots, dss, analyse_changes))
        else:
            archived = any(i > index for i in doc_timestamps)
            reports.append(_signature_report(sig, trust_roots, dss, revocation_mode, archived, analyse_changes))
    return reports


def _context(trust_roots: list[x509.Certificate], dss: DocumentSecurityStore | None, mode: str,
             moment: datetime | None = None) -> ValidationContext:
    kwargs: dict[str, Any] = {"trust_roots": trust_roots, "allow_fetching": False, "revocation_mode": mode}
    if moment is not None:
        kwargs["moment"] = moment
    return dss.as_validation_context(kwargs) if dss is not None else ValidationContext(**kwargs)


def _signature_report(sig: EmbeddedPdfSignature, trust_roots: list[x509.Certificate],
                      dss: DocumentSecurityStore | None, revocation_mode: str, archived: bool,
                      analyse_changes: bool) -> SignatureReport:
    name = sig.field_name
    try:
        claimed = _signature_timestamp_time(sig)
        if claimed is not None and dss is not None:
            # Long-term validation: as of the timestamp, with the embedded revocation data.  The
            # token's time is trusted only if the token validates, which the report requires.
            status = validate_pdf_signature(sig, _context(trust_roots, dss, "hard-fail", moment=claimed),
                                            ts_validation_context=_context(trust_roots, dss, "soft-fail"),
                                            skip_diff=not analyse_changes)
            revocation = f"hard-fail with embedded data, as of {claimed.isoformat()}"
        else:
            status = validate_pdf_signature(sig, _context(trust_roots, dss, revocation_mode),
                                            skip_diff=not analyse_changes)
            revocation = f"{revocation_mode}, checked now"
        ts = status.timestamp_validity.timestamp if status.timestamp_validity else None
    except (SignatureValidationError, ValueError, PdfError) as err:
        return SignatureReport(name, "signature", "", None, None, "unknown", False, False, False, "", "unknown",
                               "unknown", str(err))
    problem = ""
    token = status.timestamp_validity
    if token is not None and not (token.intact and token.valid and token.trusted):
        problem = "the signature timestamp does not validate (altered, or its authority is not trusted)"
    level = "B-B"
    if ts is not None:
        level = "B-T"
        if dss is not None and dss.ocsps or dss is not None and dss.crls:
            level = "B-LT"
            if archived:
                level = "B-LTA"
    return SignatureReport(
        field=name, kind="signature",
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signing_time=status.signer_reported_dt, timestamp=ts, level=level,
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        revocation=revocation,
        coverage=status.coverage.name if status.coverage else "unknown",
        modification_level=_modification_level(status, analyse_changes),
        problem=problem,
    )


def _modification_level(status: Any, analysed: bool) -> str:
    if not analysed:
        return NOT_ANALYSED
    return status.modification_level.name if status.modification_level else "unknown"


def _signature_timestamp_time(sig: EmbeddedPdfSignature) -> datetime | None:
    """The time the signature's timestamp token states (validated with the signature, not here)."""
    for signed_data in extract_tst_data_iter(sig.signer_info, signed=False):
        info = signed_data["encap_content_info"]["content"].parsed
        return info["gen_time"].native
    return None


def _timestamp_report(sig: EmbeddedPdfSignature, trust_roots: list[x509.Certificate],
                      dss: DocumentSecurityStore | None, analyse_changes: bool) -> SignatureReport:
    name = sig.field_name
    try:
        status = validate_pdf_timestamp(sig, validation_context=_context(trust_roots, dss, "soft-fail"),
                                        skip_diff=not analyse_changes)
    except (SignatureValidationError, ValueError, PdfError) as err:
        return SignatureReport(name, "document timestamp", "", None, None, "", False, False, False, "", "unknown",
                               "unknown", str(err))
    return SignatureReport(
        field=name, kind="document timestamp",
        signer=status.signing_cert.subject.human_friendly if status.signing_cert else "",
        signing_time=status.timestamp, timestamp=status.timestamp, level="",
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        revocation="soft-fail", coverage=status.coverage.name if status.coverage else "unknown",
        modification_level=_modification_level(status, analyse_changes),
    )


def chain_problem(certificate: x509.Certificate, trust_roots: list[x509.Certificate], *,
                  intermediates: Iterable[x509.Certificate] = (), moment: datetime | None = None) -> str:
    """Why ``certificate`` does not chain to one of ``trust_roots`` (or is not valid at ``moment``,
    now by default); "" when it does.  Revocation is not checked here: a signature checks it."""
    import asyncio

    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
    from pyhanko_certvalidator.errors import ValidationError as PathError

    kwargs: dict[str, Any] = {"trust_roots": list(trust_roots), "allow_fetching": False, "revocation_mode": "soft-fail",
                              "other_certs": list(intermediates)}
    if moment is not None:
        kwargs["moment"] = moment
    validator = CertificateValidator(certificate, validation_context=ValidationContext(**kwargs))
    try:
        outside_event_loop(lambda: asyncio.run(validator.async_validate_path()))
    except PathBuildingError:
        return "its certificate does not chain to a trusted root"
    except (PathValidationError, PathError) as err:
        return f"its certificate is not valid: {err}"
    return ""
