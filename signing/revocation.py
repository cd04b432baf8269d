"""Revocation data fetched once per validity window, for every signature meanwhile.

B-LT and B-LTA signatures embed OCSP responses and CRLs for the signer's and the TSA's
certificates.  They stay valid for hours (until their ``nextUpdate``), yet fetching them again for
every document cost most of a B-LTA signature.  A ``RevocationCache`` keeps what one signature's
validation fetched — responses, CRLs, the certificates that came with them — as a snapshot that is
valid until the earliest ``nextUpdate`` among them, less a margin, and never longer than
``max_age``: it is never used stale, and a certificate revoked meanwhile is refused at the next
refresh, at most ``max_age`` later.  One snapshot per signing certificate (the agency's key and the
data provider's have their own chains).  Thread-safe; shared by every signature of a process.

With a ``folder`` the snapshots are also kept on disk, so that the processes of one machine (web
processes, the jobs process, a one-shot ``render``) fetch once per window between them; a snapshot
read back is used under the same rule — never past its ``valid_until``.  The responses and CRLs are
signed by their issuers and checked again at every validation; the folder is the data directory's.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from asn1crypto import crl, ocsp, x509

MARGIN = timedelta(minutes=5)  # refreshed this long before the data expires
MAX_AGE = timedelta(hours=1)  # and at least this often, however long the data claims to stay valid


@dataclass(frozen=True)
class RevocationSnapshot:
    ocsps: tuple[ocsp.OCSPResponse, ...]
    crls: tuple[crl.CertificateList, ...]
    certs: tuple[x509.Certificate, ...]
    fetched_at: datetime
    valid_until: datetime  # the earliest nextUpdate less the margin, or fetched_at + max_age


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class RevocationCache:
    def __init__(self, *, margin: timedelta = MARGIN, max_age: timedelta = MAX_AGE,
                 now: Callable[[], datetime] = _utc_now, folder: Path | None = None):
        self.margin = margin
        self.max_age = max_age
        self.folder = folder
        self._now = now
        self._snapshots: dict[str, RevocationSnapshot] = {}
        self._lock = threading.Lock()
        self.refreshes = 0

    def current(self, signer: str) -> RevocationSnapshot | None:
        """The signer's snapshot, unless there is none or it is past its ``valid_until``."""
        with self._lock:
            snapshot = self._snapshots.get(signer)
        if snapshot is None and self.folder is not None:
            snapshot = self._read(signer)
            if snapshot is not None:
                with self._lock:
                    self._snapshots.setdefault(signer, snapshot)
        if snapshot is None or self._now() >= snapshot.valid_until:
            return None
        return snapshot

    def store(self, signer: str, ocsps: Iterable[ocsp.OCSPResponse], crls: Iterable[crl.CertificateList],
              certs: Iterable[x509.Certificate]) -> RevocationSnapshot:
        now = self._now()
        ocsps, crls = tuple(ocsps), tuple(crls)
        expiries = [u for u in (*map(_ocsp_next_update, ocsps), *map(_crl_next_update, crls)) if u is not None]
        valid_until = min([now + self.max_age, *(u - self.margin for u in expiries)])
        snapshot = RevocationSnapshot(ocsps, crls, tuple(certs), now, valid_until)
        with self._lock:
            self._snapshots[signer] = snapshot
            self.refreshes += 1
        if self.folder is not None:
            self._write(signer, snapshot)
        return snapshot

    def forget(self, signer: str) -> None:
        """Drop the signer's snapshot: its next signature fetches afresh (after a refusal using it)."""
        with self._lock:
            self._snapshots.pop(signer, None)
        if self.folder is not None:
            self._path(signer).unlink(missing_ok=True)

    def _path(self, signer: str) -> Path:
        assert self.folder is not None
        return self.folder / (hashlib.sha256(signer.encode()).hexdigest()[:32] + ".json")

    def _write(self, signer: str, snapshot: RevocationSnapshot) -> None:
        assert self.folder is not None
        data = {"fetched_at": snapshot.fetched_at.isoformat(), "valid_until": snapshot.valid_until.isoformat(),
                **{kind: [b64encode(item.dump()).decode() for item in items]
                   for kind, items in (("ocsps", snapshot.ocsps), ("crls", snapshot.crls), ("certs", snapshot.certs))}}
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            path = self._path(signer)
            part = path.with_name(f"{path.name}.{os.getpid()}.part")
            part.write_text(json.dumps(data))
            part.replace(path)
        except OSError:
            pass  # the memory copy serves this process; others fetch for themselves

    def _read(self, signer: str) -> RevocationSnapshot | None:
        try:
            data = json.loads(self._path(signer).read_text())
            return RevocationSnapshot(
                ocsps=tuple(ocsp.OCSPResponse.load(b64decode(v)) for v in data["ocsps"]),
                crls=tuple(crl.CertificateList.load(b64decode(v)) for v in data["crls"]),
                certs=tuple(x509.Certificate.load(b64decode(v)) for v in data["certs"]),
                fetched_at=datetime.fromisoformat(data["fetched_at"]),
                valid_until=datetime.fromisoformat(data["valid_until"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # none, or damaged: fetched afresh


def _ocsp_next_update(response: ocsp.OCSPResponse) -> datetime | None:
    try:
        single = response["response_bytes"]["response"].parsed["tbs_response_data"]["responses"]
    except (KeyError, ValueError, TypeError):
        return None
    updates = [r["next_update"].native for r in single if r["next_update"].native is not None]
    return min(updates) if updates else None


def _crl_next_update(item: crl.CertificateList) -> datetime | None:
    value = item["tbs_cert_list"]["next_update"].native
    return value if isinstance(value, datetime) else None


__all__ = ["MARGIN", "MAX_AGE", "RevocationCache", "RevocationSnapshot"]
