"""Managing records: storing versions (``Archive``), retention, the catalog entry beside each PDF,
verification, countersigning and renewal, legal holds, disposition, integrity checks and the
catalog's rebuild, evidence exports."""

from .archive import Archive, StoredVersion
from .retention import RetentionPolicy
from .verification import RecordVerification, Verifier, pick_version

__all__ = ["Archive", "RecordVerification", "RetentionPolicy", "StoredVersion", "Verifier", "pick_version"]
