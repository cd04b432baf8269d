"""Who a caller is: a ``Role`` (one ``StrEnum`` used everywhere) and the ``Actor`` acting in it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a token or a person may do.  The values are stored in the catalog: never rename one."""

    STAFF = "staff"        # files forms for its agency
    CLERK = "clerk"        # retrieves its agency's records
    AUDITOR = "auditor"    # as a clerk
    PROVIDER = "provider"  # the data provider's reviewers: every agency, countersigns 附件2
    ADMIN = "admin"        # everything, plus legal holds, retention and disposition
    SYSTEM = "system"      # an agency's business system: posts its query events, nothing else
    QUERIER = "querier"    # 查調者: answers the 查核人員's requests about his own queries, nothing else

    @property
    def sees_all_agencies(self) -> bool:
        return self in (Role.PROVIDER, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    """Who is calling: resolved from a token, a signed-in session or the CLI's local operator."""

    id: str
    agency: str
    role: Role
    allowed_networks: str = ""  # a token's own CIDRs (comma-separated); empty = its role's
    system: str = ""  # the business system a ``system`` token speaks for
    connection_id: str = ""  # the connection (介接案) a ``system`` token is bound to

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))  # a stored "clerk" becomes Role.CLERK

    @property
    def sees_all_agencies(self) -> bool:
        return self.role.sees_all_agencies

    @property
    def scope(self) -> str | None:
        """The agency every catalog query of this actor is limited to (None: all agencies)."""
        return None if self.sees_all_agencies else self.agency


LOCAL_OPERATOR = Actor(id="cli:local", agency="", role=Role.ADMIN)
