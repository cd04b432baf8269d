"""Object storage for record versions: the ``ObjectStore`` protocol and its implementations.

This package never imports Flask or ``forms_service``: it is usable and testable alone.
"""

from .errors import IntegrityError, ObjectLocked, ObjectNotFound, StorageError, StoreUnavailable
from .protocol import ObjectInfo, ObjectStore, Retention, StoredObject

__all__ = [
    "IntegrityError", "ObjectInfo", "ObjectLocked", "ObjectNotFound", "ObjectStore", "Retention",
    "StorageError", "StoreUnavailable", "StoredObject",
]
