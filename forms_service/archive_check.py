"""``forms-service archive verify``: does the store hold exactly what the catalog says?

Walks every catalogued version and reads it back (the store checks each object's sha256 against
the digest recorded at write time, and we check it against the catalog's), then lists the store's
record objects to find any the catalog does not know.  Reports, by object key and version id:

- ``missing``    — catalogued, but the store no longer has that version;
- ``mismatched`` — the bytes read back are not the ones archived (or cannot be read intact);
- ``orphaned``   — in the store, not in the catalog (e.g. the catalog write failed after the put).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable

from storage import IntegrityError, ObjectNotFound, ObjectStore, StorageError

from .catalog import Catalog


@dataclass
class ArchiveReport:
    checked: int = 0
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.mismatched or self.orphaned)


def verify_archive(catalog: Catalog, store: ObjectStore, *, progress: Callable[[], None] = lambda: None) -> ArchiveReport:
    report = ArchiveReport()
    known: set[tuple[str, str]] = set()
    for version in catalog.all_versions():
        name = f"{version.object_key} (version {version.object_version}, record {version.record_id})"
        known.add((version.object_key, version.object_version))
        if version.entry_object_key:
            known.add((version.entry_object_key, version.entry_object_version))
        report.checked += 1
        try:
            data = store.get(version.object_key, version.object_version)
        except ObjectNotFound:
            report.missing.append(name)
        except IntegrityError as err:
            report.mismatched.append(f"{name}: {err}")
        except StorageError as err:
            report.mismatched.append(f"{name}: cannot be read intact ({err})")
        else:
            if hashlib.sha256(data).hexdigest() != version.sha256:
                report.mismatched.append(f"{name}: sha256 differs from the catalogue's")
        progress()
    for info in store.list_versions("records/"):
        if (info.key, info.version_id) not in known:
            report.orphaned.append(f"{info.key} (version {info.version_id})")
    return report
