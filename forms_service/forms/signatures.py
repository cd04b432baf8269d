"""Who signs each form, and in which order: its signature blocks.

Each block a form prints is a signature field, signed in turn, each an incremental PAdES signature
with its stamp inside its block.  A block is signed by a person with his own card (``person``: a
自然人憑證 bound to his account), by the agency itself (``agency``: its 機關憑證 — the agency's key on
the service's side, or its card), or by the data provider (``provider``).  Blocks of persons are the
agency's choice (its profile's setting): a one-person unit signs once, with the agency's
certificate.  The agency's own block is always there; the provider's, on the forms it signs.

A block is a bookmark in the template (``fssig<block id>``), which LibreOffice exports as a named
destination: where the signature field and its stamp go (``produce/fields.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

BOOKMARK_PREFIX = "fssig"


@dataclass(frozen=True)
class Block:
    id: str  # letters only: the bookmark is BOOKMARK_PREFIX + id, the signature field the id
    label: str  # as the form prints it: 承辦人
    signer: str  # person | agency | provider
    optional: bool = False  # the agency may leave it out (its profile's setting)
    person: str = ""  # the form's field naming the person who signs it (his account, when given, must be the signer's)

    @property
    def bookmark(self) -> str:
        return BOOKMARK_PREFIX + self.id


# The provider's block of a 附件1 is its own 終止 of a connection (by its letter): no agency signs that.
_AGENCY_APPLICATION = (Block("officer", "承辦人", "person", True),
                       Block("supervisor", "單位主管", "person", True),
                       Block("head", "機關首長（或授權人）", "agency"),
                       Block("provider", "資料提供機關", "provider", True))
BLOCKS: dict[str, tuple[Block, ...]] = {
    "annex1-interface": _AGENCY_APPLICATION,
    "annex1-copy": _AGENCY_APPLICATION,
    "annex2-agreement": (Block("party", "立約定書人（申請介接單位）", "agency"),
                         Block("provider", "資料提供機關", "provider")),
    "annex3-requirements": (Block("approver", "核定（申請介接單位）", "agency"),),
    "annex4-audit-checklist": (Block("filler", "填表人", "person", True, "filled_by"),
                               Block("unit", "受查單位", "agency"), Block("team", "稽核小組", "provider", True)),
    "annex5-query-log": (Block("reviewer", "查核人員", "person", True, "reviewer"),
                         Block("unit", "資料使用單位", "agency")),
    "purge-record": (Block("performer", "執行人", "person", True, "performed_by"),
                     Block("witness", "監督（見證）人", "person", True, "witnessed_by"),
                     Block("unit", "資料使用單位", "agency")),
    "incident-report": (Block("reporter", "填報人", "person", True, "reporter"), Block("unit", "通報單位", "agency")),
    "security-test": (Block("performer", "執行人", "person", True, "performed_by"),
                      Block("unit", "資料使用單位", "agency")),
}
SIGNER_NAMES = {"person": "人員（自然人憑證）", "agency": "機關（機關憑證）", "provider": "資料提供機關"}


def stamp_labels() -> str:
    """Every block's label: a stamp's first line names one, so the stamps' font is made with them."""
    return "".join(sorted({c for blocks in BLOCKS.values() for b in blocks for c in b.label}))


def blocks_of(form_id: str) -> tuple[Block, ...]:
    return BLOCKS.get(form_id, ())


def optional_choices() -> dict[str, str]:
    """Each optional block of each form, as the agency profile's setting names it (``form:block``)."""
    from . import get_form

    return {f"{form_id}:{b.id}": f"{get_form(form_id).annex} {get_form(form_id).title}：{b.label}"
            for form_id, blocks in BLOCKS.items() for b in blocks if b.optional and b.signer == "person"}


def signing_order(form_id: str, chosen: Iterable[str] = (), *, by_provider: bool = False) -> tuple[Block, ...]:
    """The blocks a document of ``form_id`` is signed in, in order: the persons' blocks the agency
    chose (``form:block``), then the agency's own, then the provider's.  A record the provider
    files for an agency (an audit's 附件4) is the provider's alone."""
    chosen = set(chosen)
    blocks = blocks_of(form_id)
    if by_provider:
        return tuple(b for b in blocks if b.signer == "provider")
    return tuple(b for b in blocks if (not b.optional and b.signer != "provider")
                 or (b.optional and f"{form_id}:{b.id}" in chosen)
                 or (b.signer == "provider" and not b.optional))


def block(form_id: str, block_id: str) -> Block | None:
    return next((b for b in blocks_of(form_id) if b.id == block_id), None)
