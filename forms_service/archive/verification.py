"""Verification of archived versions and of PDFs from anywhere, against what the archive recorded.

pyHanko checks each signature (``signing.verify_pdf``); the archive adds what pyHanko cannot see:
a file that is not the stored final version (cut back to an earlier revision), or one with fewer
signatures than were recorded.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from signing import Verification, verify_pdf

from ..catalog import Record, RecordCatalog, Version
from ..errors import NotFound
from ..forms.signatures import block


@dataclass(frozen=True)
class RecordVerification:
    """A stored version checked against what the archive recorded when it was written."""

    record_id: str
    version: int
    verification: Verification
    archive_problems: list[str]
    stored_report: list[dict[str, Any]]
    form_id: str = ""

    @property
    def ok(self) -> bool:
        return self.verification.ok and not self.archive_problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id, "version": self.version, "ok": self.ok,
            "signatures": [_with_block(s.as_dict(), self.form_id) for s in self.verification.signatures],
            "problems": self.verification.problems + self.archive_problems,
            "report_at_signing": self.stored_report,
        }


class Verifier:
    def __init__(self, *, trust_roots: list, revocation_mode: str = "soft-fail"):
        self.trust_roots = trust_roots
        self.revocation_mode = revocation_mode

    def verify_version(self, record: Record, version: Version, pdf: bytes) -> RecordVerification:
        """The report for a version's PDF already read from the store."""
        return RecordVerification(
            record.id, version.number, verify_pdf(pdf, self.trust_roots, revocation_mode=self.revocation_mode),
            archive_problems(pdf, version), version.signature_report, record.form_id,
        )

    def verify_file(self, pdf: bytes, records: RecordCatalog | None) -> tuple[Verification, list[str]]:
        """A PDF from anywhere: its signatures, and — if the catalog knows it — the archive's checks."""
        verification = verify_pdf(pdf, self.trust_roots, revocation_mode=self.revocation_mode)
        found = records.find_version_by_hash(hashlib.sha256(pdf).hexdigest()) if records else None
        if found is None:
            return verification, []
        version, whole = found
        problems = archive_problems(pdf, version)
        if whole:
            return verification, problems
        return verification, [f"record {version.record_id}: {p}" for p in problems]


def _with_block(signature: dict[str, Any], form_id: str) -> dict[str, Any]:
    """A signature's report with the block of the form it signs (its title: 承辦人, 資料提供機關…)."""
    found = block(form_id, signature.get("field", "")) if form_id and signature.get("kind") == "signature" else None
    return {**signature, "block": found.label if found is not None else ""}


def archive_problems(pdf: bytes, version: Version) -> list[str]:
    """What pyHanko cannot see: a file that is not the stored final version, or has fewer signatures."""
    problems = []
    digest = hashlib.sha256(pdf).hexdigest()
    if digest != version.sha256:
        if digest in version.revision_hashes:
            problems.append(f"the file is cut back to an earlier revision of version {version.number}")
        else:
            problems.append(f"the file's sha256 {digest[:16]}… differs from the archived {version.sha256[:16]}…")
    found = len(list(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures))
    if found != version.signatures:
        problems.append(f"the file has {found} signature(s) where the archive recorded {version.signatures}")
    return problems


def pick_version(record: Record, number: int | None) -> Version:
    """Version ``number`` of ``record`` (the newest when None), or ``NotFound``."""
    if not record.versions:
        raise NotFound(f"record {record.id} has no stored version", details={"record_id": record.id})
    if number is None:
        return record.versions[-1]
    for version in record.versions:
        if version.number == number:
            return version
    raise NotFound(f"record {record.id} has no version {number}", details={"record_id": record.id})
