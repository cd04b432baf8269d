"""Where the fontconfig alias file lives, and the environment LibreOffice needs to use it.

Word templates name 標楷體 / DFKai-SB / 新細明體 / PMingLiU, which do not exist on Linux; without
the aliases in ``templates/fonts.conf`` fontconfig silently substitutes another face.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def fontconfig_file() -> Path:
    return Path(str(files("forms_service.templates").joinpath("fonts.conf")))


def fontconfig_env() -> dict[str, str]:
    return {"FONTCONFIG_FILE": str(fontconfig_file())}
