"""Session fixtures start the real components once: LibreOffice workers, SeaweedFS, the demo PKI.

Per test (as in Flask's tutorial): a fresh catalog database, an app, a client and a runner.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from forms_service.catalog import SqlCatalog
from forms_service.components import Components, start_components
from forms_service.forms import RenderOptions, get_form
from forms_service.template_source import packaged_template
from forms_service.render import render_docx
from forms_service.settings import Settings
from forms_service.tokens import create_token
from forms_service.web import create_app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    data_dir = tmp_path_factory.mktemp("forms-data")
    return Settings.load(environ={}, data_dir=data_dir, converter_workers=2, conversion_timeout=30.0)


@pytest.fixture(scope="session")
def components(settings) -> Components:
    started = start_components(settings)
    yield started
    started.close()


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL cluster, started once per session."""
    from tests.postgres import private_cluster

    with private_cluster() as url:
        yield url


@pytest.fixture
def catalog(tmp_path) -> SqlCatalog:
    catalog = SqlCatalog(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    catalog.create_schema()
    yield catalog
    catalog.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_catalog(request, tmp_path) -> SqlCatalog:
    """A fresh catalog on each backend: SQLite in a file, or a new database on the private cluster."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    else:
        import uuid

        from sqlalchemy import create_engine, text

        server = request.getfixturevalue("postgres_server")
        name = f"catalog_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = server.rsplit("/", 1)[0] + f"/{name}"
    catalog = SqlCatalog(url)
    catalog.create_schema()
    yield catalog
    catalog.close()


@pytest.fixture
def app_components(components, catalog) -> Components:
    """The session's running components with this test's own fresh catalog."""
    return dataclasses.replace(components, catalog=catalog, _closers=[])


@pytest.fixture
def app(app_components):
    return create_app(app_components.settings, components=app_components, test_config={"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def staff_token(catalog) -> str:
    return create_token(catalog, agency="379000000A", role="staff", label="test")


@pytest.fixture
def example():
    """A deep copy of a form's example input, free to modify."""
    def load(form_id: str) -> dict:
        return copy.deepcopy(load_example(form_id))
    return load


def load_example(form_id: str) -> dict:
    return json.loads((EXAMPLES / f"{form_id}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def annex2_docx() -> bytes:
    """The annex2 example, filled (not converted)."""
    spec = get_form("annex2-agreement")
    form = spec.validate(load_example("annex2-agreement"))
    return render_docx(packaged_template(spec.template), spec.context(form, RenderOptions("經濟部商業司")))


@pytest.fixture(scope="session")
def annex2_pdf(components, annex2_docx) -> bytes:
    """The annex2 example converted to PDF/A, unsigned."""
    return components.converter.convert(annex2_docx)


def start_serve(env: dict) -> tuple[subprocess.Popen, str, str]:
    """``forms-service serve --port 0`` in a subprocess: the process, its URL and its demo token."""
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    url = token = None
    for line in proc.stdout:
        if "listening on" in line:
            url = line.split()[-1]
        if line.startswith("demo token"):
            token = line.split()[-1]
            break
    if not (url and token):
        proc.kill()
        raise AssertionError("serve did not print its URL and demo token")
    return proc, url, token


def pdftotext(pdf: bytes, *, layout: bool = False) -> str:
    args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), "-", "-"]
    return subprocess.run(args, input=pdf, capture_output=True, check=True).stdout.decode()


def pdffonts(pdf_path: Path) -> list[dict]:
    out = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, check=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type… encoding emb sub uni id gen: read from the right, names have no spaces here
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def squeeze(text: str) -> str:
    """Text without whitespace: pdftotext breaks lines where the layout does."""
    return "".join(text.split())


def require_tools(*names: str) -> None:
    missing = [n for n in names if shutil.which(n) is None]
    if missing:  # the set-up installs these; their absence is a broken machine, not a skip
        raise RuntimeError(f"missing tools {missing}: run ./dev setup")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright drives Debian's Chromium (Playwright cannot download browsers here)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("chromium is missing: run ./dev setup (Debian package chromium)")
    return {**browser_type_launch_args, "executable_path": chromium, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-TW", "accept_downloads": True}
