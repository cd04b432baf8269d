"""The text of a visible signature stamp: 簽署人／機關／時間, the time in 民國 and Asia/Taipei.

pyHanko's own ``%(ts)s`` prints the machine's time zone; a stamp on a Taiwanese record must show
Taipei time whatever the server's zone, so the text is made here from the injected clock.
"""

from __future__ import annotations

import string
from datetime import datetime

from signing import Stamp

from ..forms.signatures import stamp_labels
from ..taiwan import TAIPEI

# Where the stamps go on the last page (PDF points): the agency's on the right, the provider's left.
SIGNER_BOX = (330, 60, 560, 130)
COUNTERSIGNER_BOX = (60, 60, 290, 130)


def likely_characters() -> str:
    """What stamps print besides the signers' own names, for the stamps' font to be made with:
    every block's label (a stamp's first line) and Latin letters (certificates often name their
    holder or agency in them)."""
    return stamp_labels() + string.ascii_letters


def stamp(role: str, signer: str, agency: str, at: datetime, *,
          box: tuple[int, int, int, int] | None = SIGNER_BOX) -> Stamp:
    """The stamp's lines; no 機關 line when ``agency`` is empty (a person's own certificate names
    no agency, and the stamp says only what the certificate says)."""
    local = at.astimezone(TAIPEI)
    return Stamp(lines=(
        f"{role}：{signer}", *([f"機關：{agency}"] if agency else []),
        f"時間：中華民國{local.year - 1911}年{local.month}月{local.day}日 {local:%H:%M}",
    ), box=box)
