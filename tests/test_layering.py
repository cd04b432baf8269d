"""The shape of the code, checked: packages by concern, data flowing one way, reusable libraries.

- ``signing/`` and ``storage/`` never import Flask or ``forms_service``;
- ``forms_service/`` keeps only its shared modules at the top;
- each concern imports only the concerns below it (``ALLOWED``), so nothing in the domain reaches
  back into the web, the CLI or the start-up wiring;
- no function outside the edges (CLI, web, start-up) takes the whole ``Components``;
- no edge reads a stored PDF or writes the audit entry of a read itself: reading a record is
  ``archive/reading.py``'s, a connection, an audit or a month of query events their concern's, for
  the API, the pages and the CLI alike;
- every module says what it is for.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "forms_service"

SHARED_MODULES = {"__init__.py", "settings.py", "errors.py", "components.py", "repositories.py", "taiwan.py",
                  "clock.py", "json_input.py", "messages.py"}
# Wiring the edges alone hold: the components, the settings, every concern's repository as one object.
WIRING = {"components.py", "settings.py", "repositories.py"}

# What each concern of forms_service may import from forms_service (besides itself and the shared
# modules errors, taiwan, clock, json_input); signing, storage and third-party libraries are always allowed.
ALLOWED = {
    "forms": set(),
    "convert": set(),
    "db": set(),  # the database every concern's repository shares: engine, base, guard, migrations
    "audit": {"catalog", "access", "db"},  # audit.chain itself imports nothing; audit.store only db
    "catalog": {"audit", "db"},
    "access": {"catalog", "db"},
    "produce": {"convert", "forms"},
    "archive": {"produce", "convert", "forms", "catalog", "access"},
    "querylog": {"catalog", "access", "forms", "connections", "db"},
    "notify": {"catalog", "querylog", "connections", "filing", "access", "db"},
    "connections": {"catalog", "archive", "access", "forms", "db"},
    "observe": {"audit"},
    "signers": {"db", "audit", "catalog", "access"},
    "filing": {"archive", "produce", "forms", "catalog", "access", "signers", "connections", "convert", "db", "audit"},
}
# The migration environment loads every concern's rows into the one metadata: it is the one
# module of db/ that imports concerns.
MIGRATION_ENVIRONMENT = PACKAGE / "db" / "migrations" / "env.py"
EDGES = {"cli", "web", "jobs"}  # jobs: where jobs run, it wires the components to the domain, as web does


def _imports(path: Path) -> list[str]:
    """Absolute names of the forms_service modules a file imports."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                names += [module] if node.module else [f"{module}.{a.name}" for a in node.names]
            elif node.module:
                names.append(node.module)
    return [n for n in names if n.split(".")[0] in ("forms_service", "flask")]


@pytest.mark.parametrize("package", ["signing", "storage"])
def test_package_imports_neither_flask_nor_the_application(package):
    offenders = [f"{path.name}: {name}" for path in (ROOT / package).rglob("*.py") for name in _imports(path)]
    assert offenders == []


def test_the_top_level_holds_only_the_shared_modules():
    assert {p.name for p in PACKAGE.glob("*.py")} <= SHARED_MODULES


@pytest.mark.parametrize("concern", sorted(ALLOWED))
def test_each_concern_imports_only_the_concerns_below_it(concern):
    allowed = ALLOWED[concern] | {concern}
    offenders = []
    for path in (PACKAGE / concern).rglob("*.py"):
        if path == MIGRATION_ENVIRONMENT:
            continue
        for name in _imports(path):
            parts = name.split(".")
            shared = f"{parts[1]}.py" in SHARED_MODULES - WIRING if len(parts) > 1 else True
            if parts[0] == "flask" or len(parts) > 1 and parts[1] not in allowed and not shared:
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_no_function_outside_the_edges_takes_the_whole_components():
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in EDGES or relative.name == "components.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for arg in node.args.args + node.args.kwonlyargs:
                    annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                    if "Components" in annotation or arg.arg == "components":
                        offenders.append(f"{relative}:{node.lineno} {node.name}({arg.arg})")
    assert offenders == []


# What reading a record is logged as: written only by archive/reading.py (and the archive itself).
# The audit actions of reads: a record's (archive/reading.py), and a connection's, an audit's and a
# month of query events' (connections/reading.py, connections/oversight.py, querylog/duty.py).
READ_ACTIONS = {"record.read", "record.search", "record.download", "record.preview", "record.verify",
                "connection.read", "inspection.read", "query-log.read"}


def _edge_files() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] in EDGES]


def test_no_edge_reads_a_stored_pdf_itself():
    """``archive.read(…)`` — the bytes of a version — only through ``RecordReading``, which scopes and logs."""
    offenders = []
    for path in _edge_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "read":
                owner = ast.unparse(node.func.value)
                if owner.endswith("archive") or owner.endswith("archive()"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node.func)}")
    assert offenders == []


def test_no_edge_writes_the_audit_entry_of_a_read():
    offenders = []
    for path in _edge_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and ast.unparse(node.func).endswith("NewAuditEvent"):
                for keyword in node.keywords:
                    if keyword.arg == "action" and isinstance(keyword.value, ast.Constant) and (
                            keyword.value.value in READ_ACTIONS or str(keyword.value.value).endswith(".read")):
                        offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {keyword.value.value}")
    assert offenders == []


def test_every_module_has_a_docstring():
    missing = []
    for package in ("forms_service", "signing", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if (path.name != "__init__.py" or tree.body) and ast.get_docstring(tree) is None:
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []


def _modules() -> list[str]:
    names = []
    for package in ("forms_service", "signing", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or parts[-1] in ("__main__", "wsgi", "gunicorn_conf", "uno_worker"):
                continue  # run as programs or by Alembic, not imported as modules
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names)


@pytest.mark.parametrize("module", _modules())
def test_every_name_in_all_exists(module):
    import importlib

    imported = importlib.import_module(module)
    missing = [name for name in getattr(imported, "__all__", []) if not hasattr(imported, name)]
    assert missing == []


def test_every_package_is_installed():
    """A package missing from pyproject's list works in the editable install and is absent from a wheel."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(path.parent.relative_to(ROOT).parts) for top in ("forms_service", "signing", "storage")
             for path in (ROOT / top).rglob("__init__.py")}
    assert found - listed == set()
