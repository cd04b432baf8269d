"""The package as pip installs it: every folder of the code is listed in ``pyproject.toml``, so a
new one is not left out of an installation that is not editable (setuptools warns of a data folder
left out, and leaves out a code folder silently)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_folder_of_the_code_is_a_listed_package():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {".".join(folder.relative_to(ROOT).parts)
               for top in ("forms_service", "signing", "storage")
               for folder in [ROOT / top, *(ROOT / top).rglob("*")]
               if folder.is_dir() and folder.name != "__pycache__"}
    mapped = set(setuptools.get("package-dir", {}))  # forms_service.templates is the top templates/ folder
    assert set(setuptools["packages"]) - mapped == folders


def test_every_data_file_is_in_the_package_data():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    package_dirs = {name: ROOT / where for name, where in setuptools.get("package-dir", {}).items()}
    left_out = []
    for package in setuptools["packages"]:
        folder = package_dirs.get(package, ROOT.joinpath(*package.split(".")))
        patterns = setuptools["package-data"].get(package, [])
        for file in folder.iterdir():
            if file.is_file() and file.suffix not in (".py", ".pyc") and not any(file.match(p) for p in patterns):
                left_out.append(str(file.relative_to(ROOT)))
    assert left_out == []
