"""The clerks' pages through Flask's test client: sign-in, CSRF, lock-out, scoping, notice, headers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.users import create_user
from tests.conftest import load_example, signed_form

PASSWORD = "correct horse battery"


@pytest.fixture
def people(catalog):
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")
    create_user(catalog, username="bob", password=PASSWORD, agency="387000000A", role="clerk")


@pytest.fixture
def stored(fake_components):
    produced = signed_form(fake_components, "annex2-agreement", load_example("annex2-agreement"))
    return fake_components.archive.submit(produced, LOCAL_OPERATOR)


def csrf(client, path="/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).data.decode())[1]


def sign_in(client, username, password=PASSWORD):
    return client.post("/login", data={"csrf": csrf(client), "username": username, "password": password})


def test_pages_need_a_sign_in(client):
    response = client.get("/records")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_wrong_password_is_refused_and_logged(client, people, catalog):
    response = sign_in(client, "alice", "wrong password!!")
    assert response.status_code == 401 and "帳號或密碼錯誤" in response.data.decode()
    assert any(e.action == "login" and e.outcome == "refused" for e in catalog.audit_events())


def test_five_wrong_passwords_from_one_address_stop_that_address_not_the_account(client, people):
    for _ in range(5):
        assert sign_in(client, "alice", "wrong password!!").status_code == 401
    braked = sign_in(client, "alice")  # even the right password, from this address
    assert braked.status_code == 429 and "此帳號自本網路位址輸錯密碼的次數過多" in braked.data.decode()
    elsewhere = client.post("/login", data={"csrf": csrf(client), "username": "alice", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.7.7.7"})
    assert elsewhere.status_code == 302  # the account itself was not locked by a stranger's guesses


def test_a_form_without_its_csrf_token_is_refused(client, people):
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 400


def test_a_clerk_searches_opens_and_downloads_her_agencys_record(client, people, stored):
    assert sign_in(client, "alice").status_code == 302
    listing = client.get("/records?form=annex2-agreement&all=1").data.decode()
    assert stored.record_id in listing and "有效" in listing
    today = datetime.now(ZoneInfo("Asia/Taipei")).date()
    by_date = client.get(f"/records?from={today - timedelta(days=1)}&to={today:%Y-%m-%d}&all=1")
    assert by_date.status_code == 200 and stored.record_id in by_date.data.decode()
    earlier = client.get(f"/records?to={today - timedelta(days=2)}&all=1").data.decode()
    assert stored.record_id not in earlier
    assert "「115/02/30」這一天不存在" in client.get("/records?from=115/02/30&all=1").data.decode()
    page = client.get(f"/records/{stored.record_id}").data.decode()
    assert "臺北市政府財政局" in page and "PDF 下載" in page
    pdf = client.get(f"/records/{stored.record_id}/versions/1.pdf")
    assert pdf.status_code == 200 and pdf.headers["X-Content-SHA256"] == stored.sha256


def test_another_agencys_clerk_gets_404_and_the_attempt_is_logged(client, people, stored, catalog):
    sign_in(client, "bob")
    assert client.get(f"/records/{stored.record_id}").status_code == 404
    assert client.get(f"/records/{stored.record_id}/versions/1.pdf").status_code == 404
    assert stored.record_id not in client.get("/records?all=1").data.decode()
    refused = [e for e in catalog.audit_events(record_id=stored.record_id) if e.outcome == "refused"]
    assert refused and refused[0].actor == "user:bob"


def test_every_page_shows_the_notice_and_secure_headers(client, people, stored):
    notice = "若有資料內容疑問時，可向登記主管機關洽詢。"
    assert notice in client.get("/login").data.decode()
    sign_in(client, "alice")
    for path in ("/records", f"/records/{stored.record_id}", "/records/rec_missing"):
        response = client.get(path)
        assert notice in response.data.decode(), path
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_signing_in_and_out_are_logged(client, people, catalog):
    assert sign_in(client, "alice").status_code == 302
    token = csrf(client, "/records")
    assert client.post("/logout", data={"csrf": token}).status_code == 302
    actions = [e.action for e in reversed(catalog.audit_events()) if e.actor == "user:alice"]
    assert actions == ["login", "record.search", "logout"]  # the search page lists the latest records
    assert client.get("/records").status_code == 302  # signed out


def test_a_store_outage_during_a_page_download_answers_a_page_not_json(client, people, stored, memory_store):
    sign_in(client, "alice")
    memory_store.available = False
    response = client.get(f"/records/{stored.record_id}/versions/1.pdf")
    assert response.status_code == 503 and response.mimetype == "text/html"
    page = response.data.decode()
    assert "暫時無法提供服務" in page and "請稍後再試" in page
    assert "storage_unavailable" not in page and "503" not in page  # no code nor status for people
    assert "若有資料內容疑問時，可向登記主管機關洽詢。" in page  # the notice, as on every page
    assert response.headers["Retry-After"] == "5"


def test_the_same_outage_answers_json_to_the_api(client, staff_token, stored, memory_store):
    memory_store.available = False
    response = client.get(f"/api/v1/records/{stored.record_id}/pdf", headers={"Authorization": f"Bearer {staff_token}"})
    assert response.status_code == 503 and response.json["error"]["code"] == "storage_unavailable"


def test_unknown_addresses_answer_in_the_callers_language(client, people):
    sign_in(client, "alice")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.mimetype == "text/html" and "查無此頁" in page.data.decode()
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json["error"]["code"] == "not_found"


def test_a_record_not_found_page_names_the_record_and_says_the_attempt_was_logged(client, people):
    sign_in(client, "alice")
    response = client.get("/records/rec_missing")
    assert response.status_code == 404
    assert "此紀錄不存在，或您無權調閱。此次調閱已記錄。" in response.data.decode()


@pytest.mark.parametrize("target", ["/%09/evil.example/x", "//evil.example/x", "https://evil.example/x",
                                    "/\\evil.example", "/%5C%5Cevil.example", "javascript:alert(1)", "/no-such-page"])
def test_sign_in_never_sends_anyone_off_site(client, people, target):
    page = client.get(f"/login?next={target}")
    token = re.search(r'name="csrf" value="([^"]+)"', page.data.decode())[1]
    response = client.post(f"/login?next={target}", data={"csrf": token, "username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/records"


def test_sign_in_returns_to_the_page_asked_for(client, people, stored):
    page = client.get(f"/login?next=/records/{stored.record_id}")
    token = re.search(r'name="csrf" value="([^"]+)"', page.data.decode())[1]
    response = client.post(f"/login?next=/records/{stored.record_id}",
                           data={"csrf": token, "username": "alice", "password": PASSWORD})
    assert response.headers["Location"] == f"/records/{stored.record_id}"


def test_the_search_page_lists_the_latest_records_before_any_search(client, people, stored, catalog):
    sign_in(client, "alice")
    page = client.get("/records").data.decode()
    assert stored.record_id in page and "最近建立的 1 筆" in page
    assert any(e.action == "record.search" and e.detail.get("latest") for e in catalog.audit_events())
    sign_in(client, "bob")
    assert stored.record_id not in client.get("/records").data.decode()


def test_a_record_page_speaks_chinese_not_the_catalogs_words(client, people, stored):
    sign_in(client, "alice")
    page = client.get(f"/records/{stored.record_id}").data.decode()
    main = page[page.index("<main>"):page.index("</main>")]
    assert "附件2 商工資料使用安全約定書" in main and "保存中" in main and "（建立）" in main
    for english in (">active<", "annex2-agreement<", "（created）"):
        assert english not in main


def test_an_unexpected_error_is_a_chinese_page_with_a_reference_to_quote(client, caplog):
    def broken():
        raise RuntimeError("a bug")

    client.application.add_url_rule("/broken", view_func=broken)
    response = client.get("/broken")
    page = response.data.decode()
    assert response.status_code == 500 and "發生錯誤" in page and "a bug" not in page
    reference = re.search(r"參考編號：<strong>([0-9A-F]{8})</strong>", page)[1]
    assert reference in caplog.text


def test_each_role_lands_on_its_work_and_the_header_names_the_agency_and_the_person(client, catalog, clock):
    from datetime import UTC, datetime

    catalog.set_agency_profile("379000000A", {"name": "臺北市政府財政局"}, by="admin",
                               now=datetime(2026, 12, 1, tzinfo=UTC))
    create_user(catalog, username="sara", password=PASSWORD, agency="379000000A", role="staff", full_name="陳美玲")
    create_user(catalog, username="paul", password=PASSWORD, agency="A15000000E", role="provider")
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")
    sign_in(client, "sara")
    landing = client.get("/")
    assert landing.status_code == 302 and landing.headers["Location"].endswith("/due")
    page = client.get("/due").data.decode()
    assert "臺北市政府財政局　陳美玲（承辦人）" in page and "379000000A／" not in page
    assert 'href="/due" aria-current="page"' in page  # where one is, marked
    client.post("/logout", data={"csrf": csrf(client, "/due")})
    sign_in(client, "paul")
    assert client.get("/").headers["Location"].endswith("/due")
    client.post("/logout", data={"csrf": csrf(client, "/due")})
    sign_in(client, "alice")
    assert client.get("/").headers["Location"].endswith("/records")


def test_a_record_page_shows_its_signatures_checked_and_exports_its_evidence(client, people, stored, catalog):
    """The validation report in words people read (no pyHanko English, 民國 times), the download
    named for what it is, and the evidence ZIP from the page — each retrieval audited."""
    import io
    import zipfile

    sign_in(client, "alice")
    record_page = client.get(f"/records/{stored.record_id}").data.decode()
    assert f'href="/records/{stored.record_id}/verification"' in record_page and "匯出證據" in record_page
    page = client.get(f"/records/{stored.record_id}/verification").data.decode()
    assert "驗證通過：每一個簽章皆有效" in page and "簽署人" in page and "自簽章後內容未遭竄改" in page
    assert "憑證可鏈結至信任的根憑證" in page and "立約定書人（申請介接單位）" in page
    main = page[page.index("<main>"):page.index("</main>")]
    shown = re.sub(r"<[^>]+>", " ", main)  # what a person reads
    assert not re.search(r"\b(?:signature|intact|trusted|revocation|NONE|ENTIRE_FILE)\b", shown)
    assert re.search(r"簽署時間</th><td>1\d\d/\d\d/\d\d \d\d:\d\d:\d\d", main)  # 民國, Taipei time
    download = client.get(f"/records/{stored.record_id}/versions/1.pdf")
    assert "filename*=UTF-8''%E9%99%84%E4%BB%B62-" in download.headers["Content-Disposition"]  # 附件2-…
    exported = client.post(f"/records/{stored.record_id}/export", data={"csrf": csrf(client, "/records")})
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert "%E8%AD%89%E6%93%9A-" in exported.headers["Content-Disposition"]  # 證據-…
    names = zipfile.ZipFile(io.BytesIO(exported.data)).namelist()
    assert any(n.endswith(".pdf") for n in names) and any("manifest" in n for n in names)
    actions = [e.action for e in catalog.audit_events(record_id=stored.record_id)]
    assert "record.verify" in actions and "record.download" in actions
    assert any(e.action == "evidence.export" and e.detail["records"] == [stored.record_id] and e.detail["via"] == "web"
               for e in catalog.audit_events())
    assert client.post(f"/records/{stored.record_id}/export").status_code == 400  # no CSRF token, no export


def test_months_are_asked_and_shown_in_the_roc_calendar(client, catalog):
    create_user(catalog, username="tina", password=PASSWORD, agency="379010000A", role="auditor")
    sign_in(client, "tina")
    chosen = client.get("/query-logs?system=稅務資料整合查詢系統&month=115/11")
    assert chosen.status_code == 302 and chosen.headers["Location"].endswith("/2026-11")
    page = client.get(chosen.headers["Location"]).data.decode()
    assert "稅務資料整合查詢系統：115年11月 查詢紀錄" in page and "2026-11 查詢" not in page
    wrong = client.get("/query-logs?system=稅務資料整合查詢系統&month=115/13").data.decode()
    assert "「115/13」的月份須在 1 至 12 之間" in wrong
    assert 'pattern="' not in client.get("/records").data.decode()  # full-width digits reach the server


def test_a_searchs_results_are_exported_as_one_evidence_package(client, people, stored, catalog):
    import io
    import zipfile

    sign_in(client, "alice")
    results = client.get("/records?all=1").data.decode()
    assert f'<input type="hidden" name="record" value="{stored.record_id}">' in results
    exported = client.post("/records/export", data={"csrf": csrf(client, "/records"), "record": [stored.record_id]})
    assert exported.status_code == 200 and exported.mimetype == "application/zip"
    assert "%E6%9F%A5%E8%A9%A2%E7%B5%90%E6%9E%9C-1%E7%AD%86" in exported.headers["Content-Disposition"]  # 查詢結果-1筆
    assert any(n.endswith(".pdf") for n in zipfile.ZipFile(io.BytesIO(exported.data)).namelist())
    # A record of another agency in the list: as unknown as a missing one, and nothing exported.
    sign_in(client, "bob")
    refused = client.post("/records/export", data={"csrf": csrf(client, "/records"), "record": [stored.record_id]})
    assert refused.status_code == 404
    assert client.post("/records/export", data={"csrf": csrf(client, "/records")}).status_code == 400
