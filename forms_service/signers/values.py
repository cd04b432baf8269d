"""The signers' frozen values: what the repository hands out and takes in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..catalog import NewAuditEvent

PARTIES = {"agency": "機關", "provider": "資料提供機關", "service": "本服務"}


@dataclass(frozen=True)
class SignerKey:
    """A key the service signs with on a party's behalf — an agency's 機關憑證 on an HSM or a card in
    the server's reader (PKCS#11), or a PKCS#12 file — with its certificate.  The PIN or password is
    never kept: ``secret_source`` says where it is read (``env:NAME``, ``file:PATH``; ``demo:LABEL``
    for a demo card)."""

    id: str
    party: str  # agency | provider | service
    agency: str  # the agency's 機關代碼 ("" for the provider's and the service's keys)
    label: str
    kind: str  # pkcs11 | pkcs12
    module: str
    token_label: str
    key_label: str
    path: str
    secret_source: str
    certificate: bytes  # DER
    fingerprint: str  # SHA-256 of the certificate, hex
    subject: str
    not_after: datetime
    state: str  # active | retired
    registered_at: datetime
    registered_by: str
    retired_at: datetime | None = None
    retired_by: str = ""


@dataclass(frozen=True)
class PersonCertificate:
    """A person's certificate (his 自然人憑證), bound to his account: registered by an administrator
    (approved), or met on his first signature and approved by one (pending until then)."""

    fingerprint: str
    username: str
    certificate: bytes
    subject: str
    state: str  # pending | approved | removed
    registered_at: datetime
    registered_by: str
    decided_at: datetime | None = None
    decided_by: str = ""


__all__ = ["PARTIES", "NewAuditEvent", "PersonCertificate", "SignerKey"]
