"""``./dev``, the README's two commands: its help, and which pytest runs spread over every core."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

DEV = Path(__file__).resolve().parents[1] / "dev"


def _spreads(*arguments: str) -> bool:
    """Whether ``./dev test ARGUMENTS`` adds ``-n auto``, asked of the script's own function."""
    command = f"source {shlex.quote(str(DEV))}; on_every_core {shlex.join(arguments)}"
    return subprocess.run(["bash", "-c", command], timeout=10).returncode == 0


@pytest.mark.parametrize("arguments", [
    ["-m", "not integration"],
    ["-q", "-m", "not integration", "-x"],
    ["tests/test_api.py", "-m", "not integration"],
])
def test_a_selection_of_the_unit_tests_runs_on_every_core(arguments):
    assert _spreads(*arguments)


@pytest.mark.parametrize("arguments", [
    [],
    ["tests/test_api.py"],
    ["-m", "integration"],
    ["-n", "2", "-m", "not integration"],
    ["-n0", "-m", "not integration"],
    ["-nauto", "-m", "not integration"],
    ["--numprocesses=4", "-m", "not integration"],
    ["-p", "no:xdist", "-m", "not integration"],
    ["--pdb", "-m", "not integration"],
    ["-k", "not integration"],
])
def test_other_runs_are_left_as_asked(arguments):
    assert not _spreads(*arguments)


def test_the_help_is_the_scripts_whole_header():
    answer = subprocess.run([str(DEV), "help"], capture_output=True, text=True, timeout=10)
    assert answer.returncode == 2
    header = []
    for line in DEV.read_text(encoding="utf-8").splitlines()[1:]:
        if not line.startswith("#"):
            break
        header.append(line[2:])
    assert answer.stdout.splitlines() == header
