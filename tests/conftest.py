"""Two stacks of components, as in Flask's tutorial a fresh catalog, app, client and runner per test.

- **Unit** (fast, no servers): ``fake_components`` — an in-memory object store, the fake converter,
  the demo key signing at B-B, a fixed clock, a SQLite catalog of the test's own.  ``app``,
  ``client`` and ``runner`` are built on it.
- **Integration** (marked ``integration``): ``components`` starts the real LibreOffice workers,
  SeaweedFS and the demo PKI (TSA, OCSP, CRL) once per session; ``app_components`` is them with the
  test's own catalog, and ``real_app``/``real_client`` the app on them.

A test that uses a real component's fixture is marked ``integration`` here automatically; tests
that start server processes are marked in their modules.  ``./dev test -m "not integration"``
runs the rest on every core in about a minute.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from forms_service.access import LOCAL_OPERATOR, users
from forms_service.access.tokens import create_token
from forms_service.clock import FixedClock
from forms_service.components import Components, start_components
from forms_service.convert.fake import FakeConverter, docx_text
from forms_service.convert.fonts import font_file
from forms_service.forms import RenderOptions, all_forms, example_input, get_form
from forms_service.produce.render import render_docx
from forms_service.produce.stamp import likely_characters
from forms_service.produce.templates import TemplateSource, packaged_template
from forms_service.repositories import SqlCatalog
from forms_service.settings import Settings
from forms_service.web import create_app
from signing import Level, Pkcs12Provider, SigningContext, StampFont, demo_pki
from signing.demo_pki import DemoPkiFiles, ensure_demo_pki, export_keys
from signing.validation import load_trust_roots
from storage.memory import MemoryObjectStore

ROOT = Path(__file__).resolve().parent.parent
# The fake converter's and the stamps' font subsets, kept from one test run to the next (~1.5 s each
# to make): by the font and the characters they hold, so a changed font or fontTools makes new ones.
FONT_CACHE = ROOT / "var" / "test-cache" / "fonts"
# One folder per use: a kept subset holding what is asked serves, and the fake converter's holds
# every character of the tests (~1 MB), which each stamp would then parse.
CONVERTER_FONTS, STAMP_FONTS = FONT_CACHE / "converter", FONT_CACHE / "stamps"
# The demo PKI's keys and certificates, kept for the day (~1 s a test process to make six RSA keys
# and their certificates): by the day and the text of ``signing/demo_pki.py``.
PKI_CACHE = ROOT / "var" / "test-cache" / "demo-pki"

# The PKCS#11 module reads SOFTHSM2_CONF once per process: every SoftHSM2 token of this test run —
# the demo cards, the signer-provider contract's token — is in one directory (and its pool), as the
# service's processes share one (``signing/softhsm.py``).  Set before anything can load the module;
# the tokens are made when a test first needs them.
os.environ.setdefault("SOFTHSM2_CONF", str(Path(tempfile.mkdtemp(prefix="forms-softhsm-")) / "softhsm2.conf"))

# Fixtures that start or reach a real component: a test using one is an integration test.
REAL_FIXTURES = {"components", "postgres_server", "softhsm_token", "softhsm_pool", "browser", "page", "context"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


class RealComponentsGuard:
    """A real component reached by a test not marked ``integration`` (e.g. through
    ``request.getfixturevalue``) would slip into the fast subset: refuse it.

    Registered as a plugin of its own: a conftest's hooks see only the nodes below it, and the
    real components are session fixtures, which belong to the session."""

    @pytest.hookimpl(hookwrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        if fixturedef.argname in REAL_FIXTURES:
            item = getattr(request, "_pyfuncitem", None)  # the test that asked for it
            if item is not None and item.get_closest_marker("integration") is None:
                pytest.fail(f"{item.nodeid} starts {fixturedef.argname!r}: mark it integration", pytrace=False)
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RealComponentsGuard(), "real-components-guard")
    # As a started service has them (``start_components``): the faster library functions, unless
    # the run is the one with the libraries stock (FORMS_STOCK_LIBRARIES=1, ``./dev test``'s second).
    from signing import replacements

    replacements.install(stock=os.environ.get("FORMS_STOCK_LIBRARIES", "") in ("1", "true"))


# --- unit: fakes ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def demo_keys(tmp_path_factory) -> Any:
    """The demo PKI's keys (no TSA, OCSP or CRL served): signatures at B-B.  A copy of the day's
    kept PKI, so what a test writes beside it stays in its process."""
    directory = tmp_path_factory.mktemp("demo-pki")
    shutil.copytree(_todays_demo_pki(), directory, dirs_exist_ok=True)
    return DemoPkiFiles(directory)


def _todays_demo_pki() -> Path:
    """The day's demo PKI in the tests' cache, made by the first process that asks: each process
    makes its own aside and the first to rename it into place wins, so none sees a half-made one."""
    made_by = hashlib.sha256(Path(demo_pki.__file__).read_bytes()).hexdigest()[:12]
    today = date.today()
    kept = PKI_CACHE / f"{today.isoformat()}-{made_by}"
    if kept.is_dir():
        return kept
    PKI_CACHE.mkdir(parents=True, exist_ok=True)
    making = Path(tempfile.mkdtemp(dir=PKI_CACHE, prefix=".making-"))
    export_keys(ensure_demo_pki(making))
    try:
        making.rename(kept)
    except OSError:  # another process kept the day's first
        shutil.rmtree(making)
    for old in PKI_CACHE.iterdir():  # no process of this run reads them any more
        try:
            left_making = old.name.startswith(".making-") and time.time() - old.stat().st_mtime > 3600
        except OSError:  # removed by another process meanwhile
            continue
        stale = old.name[0].isdigit() and old.name[:10] < (today - timedelta(days=1)).isoformat()
        if left_making or stale:
            shutil.rmtree(old, ignore_errors=True)
    return kept


@pytest.fixture(autouse=True)
def quick_password_hashes(request, monkeypatch) -> None:
    """Passwords hashed with scrypt at 2**10 instead of the service's 2**14, as Django's tests swap in
    a fast hasher: the suite hashes and checks ~400 passwords, 40 ms each at the real cost.  A hash
    names its cost, so checking works alike; ``@pytest.mark.real_password_cost`` keeps the real one."""
    if request.node.get_closest_marker("real_password_cost") is None:
        monkeypatch.setattr(users, "SCRYPT_COST", 10)


@pytest.fixture(scope="session")
def fake_converter() -> FakeConverter:
    return FakeConverter(expected=documents_text(), cache_dir=CONVERTER_FONTS)


@functools.cache
def documents_text() -> str:
    """The characters the tests' documents hold, so that the fake converter's font subset is made
    once instead of again each time a document brings new ones (~1 s each): every form's example,
    filled, and the text of the tests themselves (the names and notes they fill in)."""
    texts = []
    for spec in all_forms():
        context = spec.render_context(spec.validate(example_input(spec.form_id)), RenderOptions("經濟部商業發展署"))
        texts += docx_text(render_docx(packaged_template(spec.template), context))
    for source in (ROOT / "tests").rglob("*.py"):
        texts += [c for c in set(source.read_text()) if c.isprintable()]
    return "".join(texts)


@pytest.fixture(scope="session")
def stamp_font() -> StampFont | None:
    kai = font_file("TW-Kai")
    return StampFont(kai, expected=likely_characters(), cache_dir=STAMP_FONTS) if kai else None


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def memory_store(clock) -> MemoryObjectStore:
    return MemoryObjectStore(now=clock.now)


@pytest.fixture(scope="session")
def migrated_catalog_file(tmp_path_factory) -> Path:
    """An empty catalog brought to every branch's head once per test process: migrating takes 70 ms,
    copying the file 2 ms, and most tests want a fresh catalog."""
    path = tmp_path_factory.mktemp("migrated") / "catalog.sqlite3"
    catalog = SqlCatalog(f"sqlite:///{path}")
    catalog.create_schema()
    catalog.close()  # the last connection closed: SQLite folds its write-ahead log into the file
    return path


@pytest.fixture
def catalog(tmp_path, migrated_catalog_file) -> Iterator[SqlCatalog]:
    path = tmp_path / "catalog.sqlite3"
    shutil.copyfile(migrated_catalog_file, path)
    catalog = SqlCatalog(f"sqlite:///{path}")
    catalog.create_schema()  # still the start-up's own check: finds the copy current
    yield catalog
    catalog.close()


@pytest.fixture(scope="session")
def agency_keys(demo_keys, tmp_path_factory):
    """Each agency's software key, made on its first document (``tests/agency_keys.py``)."""
    from tests.agency_keys import software_key_issuer

    return software_key_issuer(demo_keys.directory, tmp_path_factory.mktemp("agency-keys"))


@pytest.fixture(scope="session")
def demo_signers(demo_keys) -> tuple[Pkcs12Provider, Pkcs12Provider]:
    """The demo key files' providers (the service's and the provider's), opened once per test
    process: reading a PKCS#12 file costs 13 ms, and the providers hold nothing a test changes."""
    return (Pkcs12Provider(demo_keys.signer_p12, password=demo_keys.password),
            Pkcs12Provider(demo_keys.provider_p12, password=demo_keys.password))


@pytest.fixture
def fake_components(request, tmp_path, demo_keys, demo_signers, agency_keys, fake_converter, stamp_font,
                    memory_store, catalog, clock) -> Components:
    """Everything a request needs, without a server: fast."""
    # the demo PKI's issuing CA issues the people's stand-in cards too (tests/agency_keys.py)
    # a test changes a setting with @pytest.mark.settings(name=value, …)
    marker = request.node.get_closest_marker("settings")
    settings = Settings.load(environ={}, data_dir=tmp_path / "data", converter_workers=2,
                             ca_certificates=(str(demo_keys.directory / "interm.der"),),
                             **(marker.kwargs if marker else {}))
    roots = load_trust_roots([str(demo_keys.root_pem)])
    return Components(
        settings, converter=fake_converter, trust_roots=roots, templates=TemplateSource(),
        signer=demo_signers[0], provider_signer=demo_signers[1],
        signing=SigningContext(trust_roots=tuple(roots), stamp_font=stamp_font), level=Level.B_B,
        store=memory_store, catalog=catalog, clock=clock, demo_key_issuer=agency_keys,
    )


@pytest.fixture
def app(fake_components):
    return create_app(fake_components.settings, components=fake_components, test_config={"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def described(client):
    """The API's description, to check real answers against (``tests/described.py``)."""
    from tests.described import Described

    return Described(client)


@pytest.fixture
def staff_token(catalog) -> str:
    return create_token(catalog, agency="379000000A", role="staff", label="test")


class Runner:
    """Runs ``forms-service`` in-process (Click's ``CliRunner``) with the test's own data directory."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        from forms_service.cli import main

        return self._runner.invoke(main, list(args), input=input, catch_exceptions=False,
                                   env={"FORMS_DATA_DIR": str(self.data_dir), **(env or {})})


@pytest.fixture
def runner(tmp_path) -> Runner:
    return Runner(tmp_path / "data")


# --- integration: the real components ---------------------------------------------------------

@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    data_dir = tmp_path_factory.mktemp("forms-data")
    return Settings.load(environ={}, data_dir=data_dir, converter_workers=2, conversion_timeout=30.0)


@pytest.fixture(scope="session")
def components(settings) -> Iterator[Components]:
    started = start_components(settings)
    yield started
    started.close()


@pytest.fixture(scope="session")
def softhsm_pool():
    """The test run's pool of blank SoftHSM2 tokens (made on first use)."""
    from signing.softhsm import SoftHsmPool

    return SoftHsmPool(Path(os.environ["SOFTHSM2_CONF"])).ensure()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A private PostgreSQL cluster, started once per session."""
    from tests.postgres import private_cluster

    with private_cluster() as url:
        yield url


@pytest.fixture
def app_components(components, catalog) -> Iterator[Components]:
    """The session's running components with this test's own fresh catalog."""
    copied = components.sharing(catalog=catalog)
    yield copied
    copied.close()  # what this copy opened for itself (its catalog's signers registry, with its keys)


@pytest.fixture(params=["fakes", pytest.param("real", marks=pytest.mark.integration)])
def any_components(request) -> Components:
    """For behaviour that must hold on both stacks: the fakes, then the real components."""
    return request.getfixturevalue("fake_components" if request.param == "fakes" else "app_components")


@pytest.fixture
def real_app(app_components):
    return create_app(app_components.settings, components=app_components, test_config={"TESTING": True})


@pytest.fixture
def real_client(real_app):
    return real_app.test_client()


@pytest.fixture(scope="session")
def annex2_docx() -> bytes:
    """The annex2 example, filled (not converted)."""
    spec = get_form("annex2-agreement")
    form = spec.validate(load_example("annex2-agreement"))
    return render_docx(packaged_template(spec.template), spec.render_context(form, RenderOptions("經濟部商業司")))


@pytest.fixture(scope="session")
def annex2_pdf(components, annex2_docx) -> bytes:
    """The annex2 example converted to PDF/A by LibreOffice, unsigned."""
    return components.converter.convert(annex2_docx)


# --- helpers ------------------------------------------------------------------------------------

@pytest.fixture
def example():
    """A fresh copy of a form's example input, free to modify."""
    return load_example


def load_example(form_id: str) -> dict:
    return example_input(form_id)


def signed_form(components, form_id: str, data: dict, *, caller: str = ""):
    """The document filing would produce for the local operator: signed by the form's agency with
    its key, kept nowhere (a test archives it with ``archive.submit`` when it needs a record)."""
    return components.filing.produce_form(LOCAL_OPERATOR, form_id, data, caller=caller)


def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "FORMS_DATA_DIR": str(data_dir), **extra}


def start_serve(env: dict) -> tuple[subprocess.Popen, str, str]:
    """``forms-service serve --port 0`` in a subprocess: the process, its URL and its demo token."""
    errors = Path(env["FORMS_DATA_DIR"]).with_name("serve-stderr.log")  # to say why, should serve not start
    errors.parent.mkdir(parents=True, exist_ok=True)
    with errors.open("w") as stderr:  # the child keeps its own descriptor
        proc = subprocess.Popen([sys.executable, "-m", "forms_service.cli", "serve", "--port", "0"],
                                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    url = token = None
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if "listening on" in line:
            url = line.split()[-1]
        if line.startswith("demo token"):
            # not a terminal: the token is in a private file, not in this output
            path = Path(line.split(" in ", 1)[1].split(" (")[0])
            token = path.read_text().strip()
            break
    if not (url and token):
        proc.kill()
        proc.wait()
        raise AssertionError("serve did not print its URL and demo token:\n" + "".join(seen)[-2000:]
                             + errors.read_text()[-4000:])
    return proc, url, token


def descendants(pid: int) -> list[int]:
    """The processes started by ``pid`` and by them (from /proc), deepest last."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


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


def bearer(catalog, agency: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(catalog, agency=agency, role=role)}"}


def agree_connection(client, catalog, root: str, *, applicant: str = "379000000A", unit: str = "379010000A",
                     agreement: dict | None = None) -> None:
    """Make the connection ``root`` agreed: its 附件2 filed by the 申請介接單位 and countersigned by the
    data provider, and the 資料使用單位 acknowledging it — as its parties would."""
    filed = client.post("/api/v1/forms/annex2-agreement/records", headers=bearer(catalog, applicant, "staff"),
                        json={**(agreement or load_example("annex2-agreement")), "related_record": root})
    assert filed.status_code == 201, filed.json
    provider = bearer(catalog, "A15000000E", "provider")
    assert client.post(f"/api/v1/records/{filed.json['record_id']}/countersign", headers=provider).status_code == 201
    if unit != applicant:
        acknowledged = client.post(f"/api/v1/connections/{root}/acknowledge", headers=bearer(catalog, unit, "staff"))
        assert acknowledged.status_code == 200, acknowledged.json
        assert acknowledged.json["agreed"] is True


def agreed_connection(client, catalog, application: dict | None = None) -> str:
    """The example 附件1 filed by its 申請介接單位 and agreed (``agree_connection``): its id."""
    data = application or load_example("annex1-interface")
    applicant = data["applicant"]["code"]
    filed = client.post("/api/v1/forms/annex1-interface/records", json=data,
                        headers=bearer(catalog, applicant, "staff"))
    assert filed.status_code == 201, filed.json
    agree_connection(client, catalog, filed.json["record_id"], applicant=applicant, unit=data["user_unit"]["code"])
    return filed.json["record_id"]
