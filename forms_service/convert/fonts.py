"""Where the fontconfig alias file lives, the environment LibreOffice needs to use it, and which
font file a family resolves to.

Word templates name 標楷體 / DFKai-SB / 新細明體 / PMingLiU, which do not exist on Linux; without
the aliases in ``templates/fonts.conf`` fontconfig silently substitutes another face.
"""

from __future__ import annotations

import os
import subprocess
from importlib.resources import files
from pathlib import Path


def fontconfig_file() -> Path:
    return Path(str(files("forms_service.templates").joinpath("fonts.conf")))


def fontconfig_env() -> dict[str, str]:
    return {"FONTCONFIG_FILE": str(fontconfig_file())}


def font_file(family: str) -> str | None:
    """The file fontconfig would use for ``family``, or None when it would substitute another."""
    escaped = family.replace("-", "\\-")
    out = subprocess.run(
        ["fc-match", "-f", "%{family}\n%{file}", escaped], capture_output=True, text=True,
        env={**os.environ, **fontconfig_env()}, timeout=10,
    ).stdout.splitlines()
    if len(out) < 2:
        return None
    families = [f.strip() for f in out[0].split(",")]
    return out[1] if family in families else None
