"""Checking an evidence export someone hands back: is it exactly what the service signed?

A bundle is VALID only if all of this holds, and every way it can fail is a sentence, never a
traceback:

- it is a ZIP whose names are plain relative paths, each once (a second ``v1.pdf`` would be the
  one ``unzip`` extracts), within stated bounds of count, size and compression ratio (a small
  file must not expand to gigabytes in memory);
- ``manifest.json`` is signed (detached CMS) by the **service's own certificate** — pinned by its
  SHA-256 fingerprint, since any other key under the same root (the data provider's, say) could
  sign a forged manifest — and the signature verifies and chains to a trusted root;
- every file the manifest lists is there with its sha256, and nothing else is.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from signing import SigningError
from signing.detached import verify_detached

from .. import json_input

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"

MAX_ENTRIES = 20_000
MAX_ENTRY_BYTES = 1 << 30         # 1 GiB: far above any archived PDF
MAX_TOTAL_BYTES = 8 << 30         # 8 GiB: 200 records with every version
MAX_RATIO = 100                   # PDFs barely compress; JSON and text about 10×
RATIO_FROM_BYTES = 1 << 20        # small files may compress more without harm
MAX_MANIFEST_BYTES = 64 << 20


@dataclass(frozen=True)
class ExportCheck:
    ok: bool
    signature: dict[str, Any]
    problems: list[str]
    files: int


def check_export(data: bytes, trust_roots: list[Any], *, signers: Collection[str]) -> ExportCheck:
    """Check an export against the trusted roots and the service's signing certificates
    (``signers``: SHA-256 fingerprints, hex)."""
    pinned = {s.lower().replace(":", "") for s in signers}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as err:
        return _invalid(f"this is not a ZIP archive ({err})")
    shape = _shape_problems(entries)
    if shape:
        return _invalid(*shape)
    names = {entry.filename for entry in entries}
    for required in (MANIFEST, SIGNATURE):
        if required not in names:
            return _invalid(f"{required} is missing: this is not a Forms Service evidence export")
    try:
        manifest_bytes = archive.read(MANIFEST)
        signature = archive.read(SIGNATURE)
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        return _invalid(f"the manifest cannot be read ({err})")
    try:
        report = verify_detached(manifest_bytes, signature, trust_roots)
    except SigningError as err:
        return _invalid(f"{SIGNATURE}: {err}")
    problems = []
    if not (report.intact and report.valid):
        problems.append(f"{MANIFEST}: the signature does not verify")
    elif not report.trusted:
        problems.append(f"{MANIFEST}: the signer is not trusted (give the root with --trust-root)")
    elif report.signer_sha256 not in pinned:
        problems.append(f"{MANIFEST}: signed by {report.signer or 'an unknown certificate'} "
                        f"(sha256 {report.signer_sha256[:16]}…), which is not the service's signing certificate")
    listed, manifest_problems = _listed_files(manifest_bytes)
    problems += manifest_problems
    for path, digest in sorted(listed.items()):
        if path not in names:
            problems.append(f"{path}: listed in the manifest but missing")
        elif _sha256(archive, path) != digest:
            problems.append(f"{path}: its sha256 differs from the manifest")
    for path in sorted(names - set(listed) - {MANIFEST, SIGNATURE}):
        problems.append(f"{path}: not listed in the manifest")
    return ExportCheck(not problems, report.as_dict(), problems, len(listed))


def _shape_problems(entries: list[zipfile.ZipInfo]) -> list[str]:
    """Names, counts and sizes, from the directory alone — before anything is decompressed."""
    if len(entries) > MAX_ENTRIES:
        return [f"the archive holds {len(entries)} entries; an export holds at most {MAX_ENTRIES}"]
    problems, seen, total = [], set(), 0
    for entry in entries:
        name = entry.filename
        if name in seen:
            problems.append(f"{name}: appears twice in the archive (which copy is the evidence?)")
        seen.add(name)
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ":" in parts[0] or ".." in parts or "" in parts[:-1]:
            problems.append(f"{name!r}: not a plain relative path inside the archive")
        if entry.file_size > MAX_ENTRY_BYTES:
            problems.append(f"{name}: {entry.file_size} bytes, more than an export's file may have")
        if entry.file_size > RATIO_FROM_BYTES and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            problems.append(f"{name}: expands {entry.file_size // max(entry.compress_size, 1)}-fold "
                            "(a compression bomb, not evidence)")
        total += entry.file_size
    if total > MAX_TOTAL_BYTES:
        problems.append(f"the archive expands to {total} bytes, more than an export may")
    return problems


def _listed_files(manifest_bytes: bytes) -> tuple[dict[str, str], list[str]]:
    """The manifest's ``files`` as {path: sha256}, or the sentence saying what is wrong with it."""
    if len(manifest_bytes) > MAX_MANIFEST_BYTES:
        return {}, [f"{MANIFEST}: too large to be a manifest"]
    if json_input.depth(manifest_bytes) > json_input.MAX_DEPTH:
        return {}, [f"{MANIFEST}: nested deeper than any manifest ({json_input.MAX_DEPTH} levels)"]
    try:
        manifest = json.loads(manifest_bytes)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        return {}, [f"{MANIFEST}: not JSON ({err})"]
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, list):
        return {}, [f"{MANIFEST}: has no list of files"]
    listed: dict[str, str] = {}
    for index, item in enumerate(files):
        path = item.get("path") if isinstance(item, dict) else None
        digest = item.get("sha256") if isinstance(item, dict) else None
        if not isinstance(path, str) or not isinstance(digest, str):
            return {}, [f"{MANIFEST}: files[{index}] needs a path and a sha256"]
        if path in listed:
            return {}, [f"{MANIFEST}: lists {path} twice"]
        listed[path] = digest.lower()
    return listed, []


def _sha256(archive: zipfile.ZipFile, path: str) -> str:
    digest = hashlib.sha256()
    try:
        with archive.open(path) as stream:  # in chunks: the bounds above keep this finite
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return ""  # damaged: reported as differing from the manifest
    return digest.hexdigest()


def _invalid(*problems: str) -> ExportCheck:
    return ExportCheck(False, {"signer": "", "signer_sha256": "", "timestamp": None, "ok": False}, list(problems), 0)
