"""The clerks' pages in a real headless Chromium (Playwright): sign in, search, open, download."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.users import create_user
from forms_service.catalog import SqlCatalog
from forms_service.web import create_app
from tests.conftest import load_example

PASSWORD = "correct horse battery"
NOTICE = "若有資料內容疑問時，可向登記主管機關洽詢。"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def shoot(page: Page, name: str) -> None:
    """Keep what the page looks like at this step (docs/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def site(components, tmp_path_factory):
    """The app on a loopback port, with two clerks of different agencies and one stored record."""
    catalog = SqlCatalog(f"sqlite:///{tmp_path_factory.mktemp('web') / 'catalog.sqlite3'}")
    catalog.create_schema()
    served = dataclasses.replace(components, catalog=catalog, _closers=[])
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")
    create_user(catalog, username="bob", password=PASSWORD, agency="387000000A", role="clerk")
    stored = served.archive.submit(served.producer.produce("annex2-agreement", load_example("annex2-agreement")),
                                   LOCAL_OPERATOR)
    server = make_server("127.0.0.1", 0, create_app(served.settings, components=served), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", stored
    server.shutdown()
    catalog.close()


def sign_in(page: Page, url: str, username: str, *, screenshot: str = "") -> None:
    page.goto(f"{url}/records")
    if screenshot:
        shoot(page, screenshot)
    page.get_by_label("帳號").fill(username)
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入").click()


def test_a_clerk_signs_in_searches_opens_a_record_and_downloads_its_pdf(page: Page, site):
    url, stored = site
    sign_in(page, url, "alice", screenshot="login")
    expect(page.get_by_role("heading", name="查詢典藏紀錄")).to_be_visible()
    page.get_by_label("表單").select_option("annex2-agreement")
    page.get_by_label("查詢目的").fill("年度稽核")
    page.get_by_role("button", name="查詢").click()
    shoot(page, "records-search")
    page.get_by_role("link", name="附件2 商工資料使用安全約定書（臺北市政府財政局）").click()
    expect(page.get_by_text(stored.record_id)).to_be_visible()
    expect(page.get_by_text("調閱目的：年度稽核")).to_be_visible()
    expect(page.locator(".badge.ok").first).to_have_text("有效")
    first_page = page.get_by_role("img", name="第 1 頁預覽")
    first_page.scroll_into_view_if_needed()
    expect(first_page).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 400", arg=first_page.element_handle())
    shoot(page, "record")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF 下載").click()
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    expect(page.get_by_role("note")).to_contain_text(NOTICE)


def test_a_clerk_of_another_agency_cannot_reach_the_record_through_the_pages(page: Page, site):
    url, stored = site
    sign_in(page, url, "bob")
    response = page.goto(f"{url}/records/{stored.record_id}")
    assert response.status == 404
    expect(page.get_by_role("heading", name="查無此紀錄")).to_be_visible()
    shoot(page, "record-not-found")
    page.goto(f"{url}/records?form=annex2-agreement&all=1")
    expect(page.get_by_text("查無符合條件的紀錄。")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text(NOTICE)


def test_the_pages_are_usable_on_a_phone(browser, site):
    url, _ = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-TW")
    page = context.new_page()
    sign_in(page, url, "alice")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shoot(page, "records-search-phone")
    context.close()
