"""The clerks' pages in a real headless Chromium (Playwright): sign in, search, open, download."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.users import create_user
from forms_service.repositories import SqlCatalog
from forms_service.web import create_app
from tests.conftest import load_example, signed_form

PASSWORD = "correct horse battery"
NOTICE = "若有資料內容疑問時，可向登記主管機關洽詢。"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
_SITE_COMPONENTS: dict = {}  # the site's components by its address, to store records behind its pages


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Keep what the page looks like at this step (docs/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


@pytest.fixture(scope="module")
def site(components, tmp_path_factory):
    """The app on a loopback port, with two clerks of different agencies and one stored record."""
    catalog = SqlCatalog(f"sqlite:///{tmp_path_factory.mktemp('web') / 'catalog.sqlite3'}")
    catalog.create_schema()
    served = components.sharing(catalog=catalog)
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")
    create_user(catalog, username="bob", password=PASSWORD, agency="387000000A", role="clerk")
    create_user(catalog, username="sara", password=PASSWORD, agency="379000000A", role="staff")
    create_user(catalog, username="paul", password=PASSWORD, agency="A15000000E", role="provider")
    create_user(catalog, username="ada", password=PASSWORD, agency="000000000D", role="admin")
    create_user(catalog, username="tom", password=PASSWORD, agency="379010000A", role="staff")
    create_user(catalog, username="mei", password=PASSWORD, agency="379010000A", role="auditor", full_name="陳美玲",
                system_account="tp-mei")
    create_user(catalog, username="lee", password=PASSWORD, agency="379010000A", role="querier", full_name="李小華",
                system_account="tp-lee")
    catalog.set_agency_profile("379010000A", {"name": "臺北市稅捐稽徵處", "address": "臺北市中正區北平東路7之2號",
                                              "system_name": "稅務資料整合查詢系統"}, by="test",
                               now=served.clock.now())
    stored = served.archive.submit(signed_form(served, "annex2-agreement", load_example("annex2-agreement")),
                                   LOCAL_OPERATOR)
    server = make_server("127.0.0.1", 0, create_app(served.settings, components=served), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _SITE_COMPONENTS[f"http://127.0.0.1:{server.server_port}"] = served
    yield f"http://127.0.0.1:{server.server_port}", stored
    server.shutdown()
    served.close()  # what this copy opened for itself (its catalog's signers registry)
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
    expect(page.locator("#versions .badge").first).to_have_text("有效")
    first_page = page.get_by_role("img", name="第 1 頁預覽")
    first_page.scroll_into_view_if_needed()
    expect(first_page).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 400", arg=first_page.element_handle())
    shoot(page, "record")
    with page.expect_download() as download:
        page.get_by_role("link", name="PDF 下載").click()
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert download.value.suggested_filename.startswith("附件2-")  # named for what it is
    expect(page.get_by_role("note")).to_contain_text(NOTICE)
    page.get_by_role("link", name="檢視簽章驗證").click()
    expect(page.get_by_role("heading", name="驗證通過：每一個簽章皆有效")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("憑證信任")).first).to_contain_text("憑證可鏈結至信任的根憑證")
    assert axe_violations(page) == []
    shoot(page, "verification")
    with page.expect_download() as exported:
        page.get_by_role("button", name=re.compile("匯出證據")).click()
    assert exported.value.suggested_filename.startswith("證據-附件2-")


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
    url, stored = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-TW")
    page = context.new_page()
    sign_in(page, url, "alice")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shoot(page, "records-search-phone")
    page.goto(f"{url}/records/{stored.record_id}")
    download = page.get_by_role("link", name="PDF 下載")
    download.scroll_into_view_if_needed()
    expect(download).to_be_visible()  # the table scrolls sideways: no column is hidden on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "record-phone")
    context.close()


@pytest.fixture(params=["desktop", "phone"])
def sized_page(request, browser):
    """A page at desktop width, or on a phone's screen (390 × 844)."""
    if request.param == "desktop":
        yield request.getfixturevalue("page"), ""
        return
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-TW")
    yield context.new_page(), "-phone"
    context.close()


def test_staff_fill_an_agreement_from_its_application_fix_the_errors_and_sign(sized_page, site, components):
    """Started from the 附件1 (以此為範本), two mistakes shown beside their fields and in the summary,
    reached from the summary by keyboard, fixed, signed → the record page with a valid B-LTA signature."""
    page, suffix = sized_page
    url, _ = site
    application = _application(site, components)
    sign_in(page, url, "sara")
    page.goto(f"{url}/records/{application}")
    page.get_by_role("link", name="以此為範本填寫附件2 約定書").click()
    expect(page.get_by_role("heading", name="附件2 商工資料使用安全約定書")).to_be_visible()
    party = page.get_by_role("group", name="立約定書人")
    expect(party.get_by_label("機關（單位）全銜")).to_have_value("臺北市政府財政局")
    page.get_by_role("group", name="機關首長或代表人").get_by_label("姓名").fill("陳𡘙明")
    page.get_by_role("group", name="機關首長或代表人").get_by_label("職稱").fill("局長")
    page.get_by_role("group", name="聯絡人", exact=True).get_by_label("姓名").fill("李小華")
    page.get_by_label("簽訂日期").fill("民國115年2月30日")  # no such day
    page.get_by_role("button", name="前往簽章").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("簽訂日期")
    expect(page.locator("#f-signed_on-error")).to_be_visible()
    shoot(page, "fill-errors" + suffix)
    summary.get_by_role("link").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#f-signed_on")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("中華民國一百十五年十一月二十七日")
    page.get_by_role("button", name="前往簽章").click()
    # The ceremony: the real preview and the signing order, then the agency's key held here.
    expect(page.get_by_role("heading", name=re.compile("^簽章："))).to_be_visible()
    preview = page.get_by_alt_text("第 1 頁預覽")
    expect(preview).to_be_visible()
    # The real page, drawn (not a blank the page's own rules refused), and as wide as the screen at most.
    assert preview.evaluate("image => image.complete && image.naturalWidth > 0")
    assert preview.bounding_box()["width"] <= page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shoot(page, "sign-ceremony" + suffix)
    page.get_by_role("button", name="以機關憑證簽章").click()
    expect(page.get_by_text("已完成「立約定書人（申請介接單位）」簽章")).to_be_visible()
    expect(page.get_by_text("B-LTA").first).to_be_visible()
    expect(page.locator("#versions .badge").first).to_have_text("有效")
    assert "/records/rec_" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shoot(page, "fill-signed-record" + suffix)


def test_the_checklist_is_answered_as_its_questions_all_conforming_but_one(sized_page, site):
    """附件4 on its own page: each standard item a question, the unanswered all set 符合 in one step,
    a 不符合 without its finding refused beside it and in the summary."""
    page, suffix = sized_page
    url, _ = site
    sign_in(page, url, "tom")
    page.goto(f"{url}/forms/annex4-audit-checklist/new")

    def result_of(item: str):
        question = page.get_by_role("group", name=re.compile(f"^{item}"))
        return question.get_by_role("group", name=re.compile("^查核結果"))

    vpn = "6\\. 採VPN傳輸"
    result_of(vpn).get_by_role("radio", name="不符合").check()
    page.get_by_role("button", name="未作答者全部設為符合").click()
    expect(result_of(vpn).get_by_role("radio", name="不符合")).to_be_checked()  # an answer given is kept
    expect(result_of("1\\. ").get_by_role("radio", name="符合", exact=True)).to_be_checked()
    page.get_by_role("button", name="檢查內容").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#f-items-5-note-error")).to_be_visible()  # the finding asked for beside the 不符合
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert axe_violations(page) == []
    shoot(page, "checklist-questions" + suffix)


def test_the_fill_page_is_usable_on_a_phone(browser, site):
    url, _ = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-TW")
    page = context.new_page()
    sign_in(page, url, "sara")
    page.goto(f"{url}/forms/annex1-interface/new")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="檢查內容").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "fill-phone")
    context.close()


def _application(site, components) -> str:
    """A 附件1 of sara's agency, stored on the site's catalog."""
    from forms_service.access import LOCAL_OPERATOR

    url, stored = site
    return _SITE_COMPONENTS[url].archive.submit(
        signed_form(_SITE_COMPONENTS[url], "annex1-interface", load_example("annex1-interface")),
        LOCAL_OPERATOR).record_id


def _agreed_application(site, components) -> str:
    """A 附件1 of sara's agency whose connection is agreed: its 附件2 countersigned by the provider and
    acknowledged by its 資料使用單位."""
    from datetime import datetime, timezone

    from forms_service.access import LOCAL_OPERATOR, Actor, Role
    from forms_service.archive.signatures import countersign
    from forms_service.catalog import ConnectionAck, NewAuditEvent

    url, _ = site
    served = _SITE_COMPONENTS[url]
    root = _application(site, components)
    agreement = served.archive.submit(served.filing.produce_form(LOCAL_OPERATOR,
        "annex2-agreement", {**load_example("annex2-agreement"), "related_record": root}), LOCAL_OPERATOR).record_id
    countersign(served.archive, served.countersigner, agreement, Actor("user:paul", "A15000000E", Role.PROVIDER),
                provider_name=served.settings.provider_name)
    served.catalog.add_connection_ack(
        ConnectionAck(connection_id=root, agency="379010000A", by="user:lin", at=datetime.now(timezone.utc)),
        NewAuditEvent(actor="user:lin", action="connection.acknowledge", record_id=root))
    return root


def test_the_provider_reviews_and_countersigns_an_agreement(page: Page, site):
    """The agency-signed 附件2 → 「會簽」 after the confirmation → version 2 with two valid signatures."""
    url, stored = site
    sign_in(page, url, "paul")
    page.goto(f"{url}/countersign")
    expect(page.get_by_role("heading", name="待會簽之約定書（附件2）")).to_be_visible()
    page.get_by_role("link", name="附件2 商工資料使用安全約定書（臺北市政府財政局）").first.click()
    expect(page.get_by_role("heading", name=re.compile("會簽審閱"))).to_be_visible()
    shoot(page, "countersign-review")
    page.get_by_role("button", name="會簽", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("已審閱本約定書內容")
    page.get_by_label("已審閱本約定書內容，同意會簽").check()
    page.get_by_role("button", name="會簽", exact=True).click()
    expect(page.get_by_text("資料提供機關會簽")).to_be_visible()
    badges = page.locator("table").nth(1).locator("tbody tr").nth(1).locator(".badge.ok")
    expect(badges).to_have_text("有效")
    expect(page.get_by_text("B-LTA")).to_have_count(3)  # version 1: one signature; version 2: two
    shoot(page, "countersigned-record")


# WCAG 2.1 A and AA rules axe-core checks automatically (axe.min.js as packaged by axe-playwright-python).
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
            for v in results.response["violations"]]


@pytest.mark.parametrize(("user", "path"), [
    ("", "/login"),
    ("alice", "/records"),
    ("alice", "/records/{record}"),
    ("alice", "/records/rec_00000000000000000000000000000000"),
    ("sara", "/forms"),
    ("sara", "/forms/annex1-interface/new"),
    ("sara", "/forms/annex4-audit-checklist/new"),
    ("sara", "/drafts"),
    ("paul", "/countersign"),
    ("paul", "/countersign/{record}"),
    ("ada", "/admin/agencies"),
    ("ada", "/admin/agencies/379000000A"),
    ("ada", "/admin/users"),
    ("ada", "/admin/tokens"),
    ("ada", "/admin/signers"),
    ("paul", "/records/{record}/sign"),
    ("tom", "/forms/annex5-query-log/new"),
    ("sara", "/due"),
    ("sara", "/connections"),
    ("sara", "/forms/security-test/new"),
    ("alice", "/records/{record}/verification"),
    ("paul", "/due"),
    ("paul", "/inspections"),
    ("tom", "/query-logs"),
    ("tom", "/incidents"),
    ("lee", "/my-queries"),
    ("ada", "/admin/query-reviewers"),
])
def test_every_page_passes_the_automatic_wcag_checks(page: Page, site, user, path):
    url, stored = site
    if user:
        sign_in(page, url, user)
    page.goto(url + path.format(record=stored.record_id))
    assert axe_violations(page) == []


def test_a_page_showing_errors_passes_the_automatic_wcag_checks(page: Page, site):
    url, _ = site
    sign_in(page, url, "sara")
    page.goto(f"{url}/forms/annex2-agreement/new")
    page.get_by_role("button", name="前往簽章").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert axe_violations(page) == []


def test_a_register_from_a_500_row_csv_kept_as_a_draft_only_its_agency_sees(page: Page, site, tmp_path):
    from tests.test_fill_pages import _register_csv

    url, _ = site
    source = tmp_path / "queries.csv"
    source.write_text(_register_csv(500, {10: {"business_id": "12345678"}, 200: {"at": "昨天"}}), encoding="utf-8")
    sign_in(page, url, "tom")
    page.goto(f"{url}/forms/annex5-query-log/new")
    page.get_by_text("匯入查詢紀錄（CSV 或自試算表貼上）").click()
    page.get_by_label("CSV 檔案").set_input_files(str(source))
    page.get_by_role("button", name="匯入").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("已匯入 498 筆")
    expect(report).to_contain_text("第 12 行「統一編號」")
    expect(report).to_contain_text("第 202 行「查詢日期時間」")
    report.scroll_into_view_if_needed()
    shoot(page, "fill-register-import", full_page=False)  # 500 rows are too tall for one picture
    page.get_by_role("button", name="儲存草稿").click()
    expect(page.get_by_text("草稿已儲存")).to_be_visible()
    draft_url = page.url
    page.goto(f"{url}/drafts")
    expect(page.get_by_role("link", name=re.compile("附件5 商工登記資料查詢紀錄登記表"))).to_be_visible()
    shoot(page, "drafts")
    page.get_by_role("button", name="登出").click()
    sign_in(page, url, "sara")  # another agency's staff
    page.goto(f"{url}/drafts")
    expect(page.get_by_text("目前沒有草稿")).to_be_visible()
    assert page.goto(draft_url).status == 404
    assert page.goto(f"{url}/admin/agencies/379010000A").status == 403


def test_a_form_can_be_completed_by_keyboard_with_visible_focus(page: Page, site):
    """Tab moves through the labelled fields in reading order, each focused field shows an outline,
    and the form is submitted with Enter from a field (it checks the form rather than adding a row)."""
    url, _ = site
    sign_in(page, url, "sara")
    page.goto(f"{url}/forms/annex3-requirements/new")
    page.locator("#f-applicant-name").focus()
    order = []
    for _ in range(12):
        focused = page.evaluate("""() => { const e = document.activeElement;
            const label = e.labels && e.labels.length ? e.labels[0].textContent.trim() : '';
            return [e.id, label, getComputedStyle(e).outlineStyle]; }""")
        order.append(focused)
        page.keyboard.press("Tab")
    ids = [i for i, _, _ in order]
    positions = page.evaluate(
        "ids => ids.map(id => [...document.querySelectorAll('[id]')].findIndex(e => e.id === id))", ids)
    assert positions == sorted(positions)  # reading order
    assert all(label for _, label, _ in order if _ != "json_file")  # every field has its label
    assert all(style != "none" for _, _, style in order)  # the focus is visible
    page.locator("#f-system_name").fill("稅務資料整合查詢系統")
    page.locator("#f-system_name").press("Enter")
    expect(page.locator(".error-summary")).to_be_visible()  # Enter checked the form


def test_staff_fill_a_register_from_their_profile_fix_a_wrong_business_id_and_sign(sized_page, site):
    """The agency profile fills the unit and system; a wrong 統一編號 is shown beside its field and in
    the summary; fixed, the register is signed (B-LTA, valid)."""
    page, suffix = sized_page
    url, _ = site
    sign_in(page, url, "tom")
    page.goto(f"{url}/forms")
    page.get_by_role("link", name="附件5 商工登記資料查詢紀錄登記表").click()
    unit = page.get_by_role("group", name="資料使用單位")
    expect(unit.get_by_label("機關（單位）全銜")).to_have_value("臺北市稅捐稽徵處")
    expect(page.get_by_label("系統名稱")).to_have_value("稅務資料整合查詢系統")
    page.get_by_label("月份").fill("115/11")
    row = page.get_by_role("group", name="第 1 列").first
    row.get_by_label("查詢日期時間").fill("2026-11-03T09:15")
    row.get_by_role("group", name="查詢人員").get_by_label("姓名").fill("王小明")
    row.get_by_role("group", name="查詢人員").get_by_label("帳號").fill("tp-wang")
    row.get_by_label("查詢對象統一編號").fill("22099132")  # one digit wrong
    row.get_by_label("查詢目的／業務依據").fill("營業稅籍查核")
    review = page.get_by_role("group", name="每月查核", exact=True)
    review.get_by_label("無異常").check()
    review.get_by_role("group", name="查核人員").get_by_label("姓名").fill("陳美玲")
    review.get_by_label("查核日期").fill("115/12/02")
    page.get_by_role("button", name="前往簽章").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("統一編號")
    expect(page.locator("#f-entries-0-business_id-error")).to_be_visible()
    shoot(page, "fill-register-error" + suffix)
    summary.get_by_role("link").first.click()
    expect(page.locator("#f-entries-0-business_id")).to_be_focused()
    page.locator("#f-entries-0-business_id").fill("２２０９９１３１")  # full width, as typed
    page.get_by_role("button", name="前往簽章").click()
    page.get_by_role("button", name="以機關憑證簽章").click()
    expect(page.locator("#versions .badge").first).to_have_text("有效")
    expect(page.get_by_text("B-LTA").first).to_be_visible()


def test_the_provider_returns_an_agreement_and_the_agency_reads_why(page: Page, site):
    url, _ = site
    agreement = _SITE_COMPONENTS[url].archive.submit(
        signed_form(_SITE_COMPONENTS[url], "annex2-agreement", load_example("annex2-agreement")),
        LOCAL_OPERATOR).record_id
    sign_in(page, url, "paul")
    page.goto(f"{url}/countersign/{agreement}")
    page.get_by_label("退回理由").fill("使用者業務範圍與申請單不符，請修正後重送。")
    page.get_by_role("button", name="退回").click()
    expect(page.get_by_role("heading", name="待會簽之約定書（附件2）")).to_be_visible()
    page.get_by_role("button", name="登出").click()
    sign_in(page, url, "sara")
    page.goto(f"{url}/records/{agreement}")
    expect(page.get_by_text("使用者業務範圍與申請單不符，請修正後重送。")).to_be_visible()
    shoot(page, "returned-agreement")


def test_a_month_is_reviewed_from_flag_to_explanation_to_signed_register(page: Page, site, components):
    """Events of October posted by the system's token; an administrator assigns the 查核人員; she
    closes the month, sees the flagged query first and asks its querier for a 查調者說明; he answers
    on his own page; she judges the flag and signs off → the 附件5 record, signed."""
    from forms_service.connections.tokens import create_system_token

    url, _ = site
    root = _agreed_application(site, components)  # the connection's 附件1: its 使用者 are tp-wang and tp-lin
    served = _SITE_COMPONENTS[url]
    system = load_example("annex1-interface")["host"]["system_name"]
    token = create_system_token(served.catalog, agency="379010000A", connection_id=root)
    events = [{"event_id": f"oct-{n}", "at": f"2026-10-{n + 5:02d}T10:00:00+08:00", "system": system,
               "user": {"name": name, "account": account}, "subject": {"business_id": "22099131"},
               "purpose": "營業稅籍查核", "case_no": f"案{n}"}
              for n, (name, account) in enumerate([("王小明", "tp-wang"), ("李小華", "tp-lee"), ("林𡘙華", "tp-lin")])]
    posted = page.request.post(f"{url}/api/v1/query-events", data=json.dumps(events, ensure_ascii=False),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert posted.json()["accepted"] == 3

    sign_in(page, url, "ada")
    page.get_by_role("link", name="查核人員指派").click()
    page.get_by_label("機關代碼").fill("379010000A")
    page.get_by_label("業務系統名稱").fill(system)
    page.get_by_label("查核人員").select_option("mei")
    page.get_by_role("button", name="指派").click()
    expect(page.get_by_role("status")).to_contain_text("已指派 mei")
    assert axe_violations(page) == []
    shoot(page, "query-reviewers")
    page.get_by_role("button", name="登出").click()

    sign_in(page, url, "mei")
    page.get_by_role("link", name="查詢紀錄查核").click()
    page.get_by_label("業務系統名稱").fill(system)
    page.get_by_label("月份").fill("2026-10")
    page.get_by_role("button", name="開啟").click()
    page.get_by_role("button", name="關閉本月並封存").click()
    expect(page.get_by_text("已關閉並封存")).to_be_visible()
    flag = page.locator("li.flag").first
    expect(flag).to_contain_text("tp-lee")
    expect(flag).to_contain_text("非核准使用者")
    flag.get_by_label("查核意見（第 1 項）").fill("請說明 10/06 查詢之業務依據。")
    flag.get_by_role("button", name="請查調者說明").click()
    expect(page.locator("li.flag").first).to_contain_text("已請查調者說明")
    assert axe_violations(page) == []
    shoot(page, "query-log-month")
    page.get_by_role("button", name="登出").click()

    sign_in(page, url, "lee")  # a querier lands on his own requests
    expect(page.get_by_role("heading", name="我的查詢說明")).to_be_visible()
    expect(page.get_by_text("tp-wang")).to_have_count(0)
    page.get_by_label("您的說明（oct-1）").fill("協助同仁辦理陳情案之查詢，已補申請為使用者。")
    page.get_by_role("button", name="送出說明").click()
    expect(page.get_by_role("status")).to_contain_text("已送出說明")
    assert axe_violations(page) == []
    shoot(page, "my-queries")
    page.get_by_role("button", name="登出").click()

    sign_in(page, url, "mei")
    page.goto(f"{url}/query-logs/{system}/2026-10")
    flag = page.locator("li.flag").first
    expect(flag).to_contain_text("協助同仁辦理陳情案之查詢")
    flag.get_by_role("button", name="判定已說明").click()
    expect(page.locator("li.flag").first).to_contain_text("已說明（非違規）")
    page.get_by_role("radio", name="有異常").check()
    page.get_by_label("說明").fill("李小華非核准使用者，已請其說明並補申請。")
    page.get_by_label("查核日期").fill("115/11/02")
    page.get_by_role("button", name="簽核並產生附件5").click()
    expect(page.get_by_role("heading", name=re.compile("附件5 商工登記資料查詢紀錄登記表"))).to_be_visible()
    expect(page.locator("#versions .badge").first).to_have_text("有效")


def test_a_connection_page_shows_its_records_state_and_what_it_owes(page: Page, site, components):
    """The agency's connections, one opened: its parties, 使用期限, state and timeline."""
    application = _application(site, components)
    url, _ = site
    sign_in(page, url, "sara")
    page.get_by_role("link", name="介接案").click()
    expect(page.get_by_role("heading", name="介接案")).to_be_visible()
    page.get_by_role("link", name="稅務資料整合查詢系統").first.click()
    expect(page.get_by_role("heading", name="稅務資料整合查詢系統")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("申請介接單位"))).to_contain_text("臺北市政府財政局")
    expect(page.locator("table").nth(1)).to_contain_text("附件1 新申請")
    expect(page.locator(f'a[href$="/records/{application}"]').first).to_be_visible()  # named by its title
    expect(page.get_by_role("heading", name="此介接案的表單")).to_be_visible()  # the task list
    expect(page.get_by_role("link", name="附件2 商工資料使用安全約定書")).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "connection")


def test_the_provider_schedules_an_audit_and_the_agency_answers_its_checklist(page: Page, site):
    """A date under a month ahead is refused beside its field; the audit scheduled, the audited
    agency's due list holds its answers, due five working days before; the agency answers its
    column item by item — a 不符合 without a note, a record of no one's as evidence, each refused
    beside its field — and sends it."""
    url, _ = site
    sign_in(page, url, "paul")
    page.get_by_role("link", name="稽核排程").click()
    page.get_by_label("受稽核機關代碼").fill("379010000A")
    page.get_by_label("稽核日期").fill("115/12/01")
    page.get_by_label("稽核小組成員").fill("商業發展署 王稽核、李專員")
    page.get_by_role("button", name="排定並通知").click()
    expect(page.locator("#audit_on-error")).to_contain_text("至少一個月")
    page.locator(".error-summary a").first.click()
    expect(page.get_by_label("稽核日期")).to_be_focused()
    page.get_by_label("稽核日期").fill("116/03/15")
    page.get_by_role("button", name="排定並通知").click()
    expect(page.get_by_role("status")).to_contain_text("自評填覆期限 116/03/08")
    assert axe_violations(page) == []
    shoot(page, "inspections")
    page.get_by_role("button", name="登出").click()
    sign_in(page, url, "tom")
    page.get_by_role("link", name="待辦事項").click()
    expect(page.get_by_role("table")).to_contain_text("稽核自評")
    expect(page.get_by_role("table")).to_contain_text("116/03/08")
    assert axe_violations(page) == []
    shoot(page, "due")

    # The agency answers its column of the checklist: a 不符合 without a note comes back beside it.
    page.get_by_role("link", name="稽核排程").click()
    page.get_by_role("link", name="116/03/15").first.click()
    expect(page.get_by_role("heading", name="116/03/15 稽核")).to_be_visible()
    for item in range(1, 25):
        page.locator(f"#item-{item}-result").check()  # 符合
    page.get_by_role("group", name=re.compile("^6\\. 採VPN傳輸")).get_by_role("radio", name="不符合").check()
    page.get_by_label("姓名（送出時必填）").fill("王小明")
    page.get_by_label("職稱").fill("資訊室主任")
    page.get_by_role("button", name="送出自評").click()
    expect(page.locator("#item-6-note-error")).to_contain_text("請說明現況及改善規劃")
    page.locator(".error-summary a").first.click()
    expect(page.locator("#item-6-note")).to_be_focused()
    expect(page.get_by_role("group", name=re.compile("^6\\. 採VPN傳輸")).get_by_role("radio", name="不符合")) \
        .to_be_checked()  # what was typed is kept
    page.locator("#item-6-note").fill("兩處分機仍以一般網際網路連線，預定 116/02 改採VPN。")
    page.locator("#item-9-evidence").fill("rec_00000000000000000000000000000000")
    page.get_by_role("button", name="送出自評").click()
    expect(page.locator("#item-9-evidence-error")).to_contain_text("不存在或非受稽核機關之紀錄")
    page.locator("#item-9-evidence").fill("")
    page.get_by_label("上傳佐證檔案（每個檔案至多 20 MB，典藏並鎖定保存）").nth(16).set_input_files(files=[{
        "name": "弱點掃描報告.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7 scan report\n"}])
    page.get_by_role("button", name="送出自評").click()
    expect(page.get_by_role("status")).to_contain_text("已送出自評")
    expect(page.get_by_role("link", name="弱點掃描報告.pdf")).to_be_visible()  # archived, cited in item 17
    expect(page.get_by_role("row", name=re.compile("^自評 已由"))).to_contain_text("王小明")
    assert axe_violations(page) == []
    shoot(page, "inspection-answers")


def test_staff_follow_a_batch_from_their_business_system_to_its_records(sized_page, site):
    """A batch of three 附件2: one filed, one refused naming the field, one waiting — its page says
    which, links the record and offers to cancel what waits."""
    import uuid

    from forms_service.jobs.values import Batch, BatchEntry

    page, size = sized_page
    url, stored = site
    served = _SITE_COMPONENTS[url]
    batch = Batch(id="bat_" + uuid.uuid4().hex, form_id="annex2-agreement", agency="379000000A",
                  actor={"id": "token:稅務系統", "agency": "379000000A", "role": "system"},
                  created_at=served.clock.now())
    refused = {"code": "validation_failed", "message": "輸入有誤", "field": "party.code",
               "errors": [{"path": "party.code", "message": "統一編號 12345678 檢查碼不符", "code": "business_id"}]}
    served.catalog.add_batch(batch, [
        BatchEntry(batch.id, 1, {}, state="done", record_id=stored.record_id, attempts=1),
        BatchEntry(batch.id, 2, {}, state="refused", problem=refused),
        BatchEntry(batch.id, 3, {}),
    ])
    sign_in(page, url, "sara")
    page.get_by_role("navigation", name="主選單").get_by_role("link", name="批次").click()
    expect(page.get_by_role("heading", name="批次", exact=True)).to_be_visible()
    assert axe_violations(page) == []
    shoot(page, "batches" + size)
    page.get_by_role("link", name="附件2 商工資料使用安全約定書").first.click()
    expect(page.get_by_role("heading", name=re.compile("批次：附件2"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("第 2 筆"))).to_contain_text("統一編號 12345678 檢查碼不符")
    expect(page.get_by_role("link", name=stored.record_id)).to_be_visible()
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    shoot(page, "batch" + size)
    page.get_by_role("button", name="取消尚未製作之項目").click()
    expect(page.get_by_role("row", name=re.compile("各狀態筆數"))).to_contain_text("已取消 1 筆")
