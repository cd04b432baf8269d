"""signing/ and storage/ stay reusable: they never import Flask or forms_service."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("package", ["signing", "storage"])
def test_package_imports_neither_flask_nor_the_application(package):
    offenders = []
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("flask", "forms_service")]
    assert offenders == []


def test_every_module_has_a_docstring():
    missing = []
    for package in ("forms_service", "signing", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if path.name != "__init__.py" or tree.body:
                if ast.get_docstring(tree) is None:
                    missing.append(str(path.relative_to(ROOT)))
    assert missing == []
