"""Storage errors, each with a stable code.  Backend exceptions are translated at the edge."""


class StorageError(Exception):
    code = "storage_error"


class StoreUnavailable(StorageError):
    """The store did not answer (down, hung, refused credentials): retrying later may work."""

    code = "storage_unavailable"


class ObjectNotFound(StorageError, FileNotFoundError):
    code = "object_not_found"


class ObjectLocked(StorageError):
    """The store refused to delete or overwrite a version under retention or legal hold."""

    code = "object_locked"


class IntegrityError(StorageError):
    """The bytes read back do not match the sha256 recorded when they were written."""

    code = "integrity_mismatch"
