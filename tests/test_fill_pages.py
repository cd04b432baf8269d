"""Staff fill forms in the browser (Flask's test client): a page made from the form's schema, errors
beside their fields and in a summary with everything typed kept, sign → 303 to the new record, a
new form started from an earlier record.  The same validation as the API, so the page and the API
agree on every input."""

from __future__ import annotations

import re

import pytest

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.users import create_user
from forms_service.catalog import RecordFilter
from forms_service.forms import get_form
from forms_service.web.pages.fields import build, parse
from tests.conftest import load_example, signed_form, squeeze
from tests.test_web_pages import PASSWORD, csrf
from tests.test_web_pages import sign_in as sign_in_as

FORM_IDS = ["annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements",
            "annex4-audit-checklist", "annex5-query-log"]


def flatten(value, prefix=""):
    """JSON → the page's input names and values (what a browser would post for this input)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield from flatten(child, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            for i, child in enumerate(value):
                yield from flatten(child, f"{prefix}.{i}")
        elif value and all(isinstance(v, str) for v in value) and prefix.endswith(("exchange_methods",)):
            for v in value:
                yield prefix, v
        else:
            yield prefix, "\n".join(str(v) for v in value)
    elif isinstance(value, bool):
        yield prefix, "true" if value else "false"
    else:
        yield prefix, str(value)


@pytest.fixture
def staff(catalog):
    create_user(catalog, username="sara", password=PASSWORD, agency="379000000A", role="staff")
    create_user(catalog, username="tom", password=PASSWORD, agency="379010000A", role="staff")
    create_user(catalog, username="alice", password=PASSWORD, agency="379000000A", role="clerk")


def sign_in(client, username):
    assert sign_in_as(client, username).status_code == 302


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_the_page_posts_back_exactly_the_api_input(form_id):
    """Every field of every form is on its page, and a page posted as filled is the same JSON."""
    from werkzeug.datastructures import MultiDict

    schema = get_form(form_id).json_schema()
    data = get_form(form_id).validate(load_example(form_id)).model_dump(mode="json", by_alias=True,
                                                                        exclude_defaults=True)
    root = build(schema, data)
    names = set()

    def walk(part):
        names.add(part.name)
        for child in getattr(part, "children", []) + list(getattr(part, "rows", [])):
            walk(child)
    walk(root)
    posted = MultiDict(list(flatten(data)))
    assert set(posted) <= names
    parsed = parse(schema, posted)
    again = get_form(form_id).validate(parsed).model_dump(mode="json", by_alias=True, exclude_defaults=True)
    assert again == data


def test_a_staff_member_fills_checks_and_signs_a_form(client, staff, catalog):
    sign_in(client, "sara")
    assert "附件2 商工資料使用安全約定書" in client.get("/forms").data.decode()
    page = client.get("/forms/annex2-agreement/new").data.decode()
    assert 'name="party.code" value="379000000A"' in page  # the filer's own agency, filled in
    assert '<label for="f-party-name">' in page and 'name="users.0.business_scope"' in page
    posted = dict(flatten(load_example("annex2-agreement")))
    posted["period.end"] = "民國112年2月29日"  # no such day
    posted["users.0.name"] = ""
    response = client.post("/forms/annex2-agreement/new", data={**posted, "csrf": csrf(client, "/forms"),
                                                               "action": "sign"})
    assert response.status_code == 422
    page = response.data.decode()
    summary = page[page.index('class="error-summary"'):page.index("</div>", page.index('class="error-summary"'))]
    assert 'href="#f-period-end"' in summary and 'href="#f-users-0-name"' in summary and "此欄必填" in summary
    assert 'id="f-period-end-error"' in page and 'aria-invalid="true"' in page
    assert 'value="稅捐稽徵法第30條"' in page  # nothing typed is lost
    assert catalog.find_records(RecordFilter(limit=10)) == []  # nothing half-made
    posted["period.end"] = "117/12/31"
    posted["users.0.name"] = "王小明"
    checked = client.post("/forms/annex2-agreement/new", data={**posted, "csrf": csrf(client, "/forms"),
                                                              "action": "check"})
    assert checked.status_code == 200 and "檢查完成" in checked.data.decode()
    to_sign = client.post("/forms/annex2-agreement/new", data={**posted, "csrf": csrf(client, "/forms"),
                                                              "action": "sign"})
    assert to_sign.status_code == 303 and "/sign/drafts/drf_" in to_sign.headers["Location"]
    # The ceremony: the real preview, the signing order, and the ways to sign the agency's block.
    ceremony = client.get(to_sign.headers["Location"]).data.decode()
    assert "請確認文件內容" in ceremony and 'alt="第 1 頁預覽"' in ceremony
    assert "立約定書人（申請介接單位）（機關（機關憑證））：" in squeeze(ceremony) and "現在輪到此欄簽章" in ceremony
    assert "以憑證卡簽章" in ceremony and "以機關憑證簽章" in ceremony and 'name="pin"' not in ceremony
    assert catalog.find_records(RecordFilter(limit=10)) == []  # nothing filed before it is signed
    draft_id = to_sign.headers["Location"].rsplit("/", 1)[-1]
    signed = client.post(f"/sign/drafts/{draft_id}/agency-key", data={"csrf": csrf(client, "/forms")})
    assert signed.status_code == 303 and "/records/rec_" in signed.headers["Location"]
    record = client.get(signed.headers["Location"]).data.decode()
    assert "臺北市政府財政局" in record and "以此為範本" in record
    assert "已完成「立約定書人（申請介接單位）」簽章" in record and "下一位：「資料提供機關」簽章" in record
    assert catalog.draft(draft_id) is None


def test_a_row_can_be_added_without_javascript(client, staff):
    sign_in(client, "sara")
    posted = dict(flatten(load_example("annex2-agreement")))
    page = client.post("/forms/annex2-agreement/new", data={**posted, "csrf": csrf(client, "/forms"),
                                                           "action": "add-row", "extra_rows": "1"}).data.decode()
    assert 'name="users.3.name"' in page and 'name="users.4.name"' not in page  # 2 filled + 2 blank


def test_a_post_without_csrf_is_refused_and_other_roles_cannot_fill(client, staff):
    sign_in(client, "sara")
    assert client.post("/forms/annex2-agreement/new", data={"action": "check"}).status_code == 400
    client.post("/logout", data={"csrf": csrf(client, "/forms")})
    sign_in(client, "alice")
    assert client.get("/forms/annex2-agreement/new").status_code == 403


def test_filing_for_another_agency_is_refused_beside_the_code(client, staff, catalog):
    sign_in(client, "sara")
    posted = dict(flatten(load_example("annex2-agreement")))
    posted["party.code"] = "387000000A"
    response = client.post("/forms/annex2-agreement/new", data={**posted, "csrf": csrf(client, "/forms"),
                                                               "action": "sign"})
    assert response.status_code == 403 and "387000000A" in response.data.decode()


def test_a_new_agreement_starts_from_its_application(client, staff, fake_components):
    application = fake_components.archive.submit(
        signed_form(fake_components, "annex1-interface", load_example("annex1-interface")), LOCAL_OPERATOR)
    sign_in(client, "sara")
    page = client.get(f"/forms/annex2-agreement/new?from={application.record_id}").data.decode()
    assert f'value="{application.record_id}"' in page  # the connection is named
    assert 'name="party.name" value="臺北市政府財政局"' in page  # 申請介接單位 → 立約定書人
    assert 'name="users.1.account" value="tp-lin"' in page
    assert 'name="period.start" value="115/01/01"' in page  # the 附件2 follows its 附件1's 使用期限
    renewal = client.get(f"/forms/annex1-interface/new?from={application.record_id}").data.decode()
    assert 'name="period.start" value="118/01/01"' in renewal  # a 續用 continues where it ended
    assert 'value="renewal" checked' in renewal


def test_another_agencys_record_cannot_be_a_starting_point(client, staff, fake_components):
    data = {**load_example("annex1-interface"), "applicant": {"name": "臺南市政府", "code": "395000000A"}}
    other = fake_components.archive.submit(signed_form(fake_components, "annex1-interface", data), LOCAL_OPERATOR)
    sign_in(client, "sara")
    assert client.get(f"/forms/annex2-agreement/new?from={other.record_id}").status_code == 404


@pytest.fixture
def admin(catalog):
    create_user(catalog, username="ada", password=PASSWORD, agency="000000000D", role="admin")


PROFILE = {
    "name": "臺北市政府財政局", "address": "臺北市信義區市府路1號",
    "head.name": "陳𡘙明", "head.title": "局長",
    "contacts.business.name": "李小華", "contacts.business.phone": "02-2720-8889#1234",
    "contacts.business.email": "lee@example.gov.tw",
    "contacts.it.name": "張大同", "contacts.it.phone": "02-2720-8889#5678", "contacts.it.email": "chang@example.gov.tw",
    "user_units.0.name": "臺北市稅捐稽徵處", "user_units.0.code": "379010000A", "system_name": "稅務資料整合查詢系統",
}


def test_an_admin_keeps_a_profile_that_fills_every_new_form_of_the_agency(client, staff, admin, catalog):
    sign_in(client, "ada")
    token = csrf(client, "/admin/agencies")
    bad = client.post("/admin/agencies/379000000A", data={**PROFILE, "contacts.it.email": "not-an-email",
                                                          "csrf": token})
    assert bad.status_code == 422 and 'href="#f-contacts-it-email"' in bad.data.decode()
    assert 'value="臺北市信義區市府路1號"' in bad.data.decode()  # nothing typed is lost
    saved = client.post("/admin/agencies/379000000A", data={**PROFILE, "csrf": token})
    assert saved.status_code == 303
    assert any(e.action == "agency.profile" and e.agency == "379000000A" for e in catalog.audit_events())
    client.post("/logout", data={"csrf": csrf(client, "/admin/agencies")})
    sign_in(client, "sara")
    agreement = client.get("/forms/annex2-agreement/new").data.decode()
    for name, value in (("party.name", "臺北市政府財政局"), ("party.address", "臺北市信義區市府路1號"),
                        ("representative.name", "陳𡘙明"), ("representative.title", "局長"),
                        ("contact.phone", "02-2720-8889#1234"), ("user_unit.code", "379010000A"),
                        ("system_name", "稅務資料整合查詢系統")):
        assert f'name="{name}" value="{value}"' in agreement, name
    application = client.get("/forms/annex1-interface/new").data.decode()
    assert 'name="contacts.it.email" value="chang@example.gov.tw"' in application
    assert client.get("/admin/agencies/379000000A").status_code == 403  # staff do not edit profiles


def test_a_draft_is_kept_for_the_agency_only_and_deleted_once_signed(client, staff, catalog):
    sign_in(client, "sara")
    half = {"party.name": "臺北市政府財政局", "party.code": "379000000A", "purpose": "稅捐稽徵"}
    saved = client.post("/forms/annex2-agreement/new", data={**half, "csrf": csrf(client, "/forms"),
                                                            "action": "save-draft"})
    assert saved.status_code == 303 and "draft=drf_" in saved.headers["Location"]
    draft_id = re.search(r"draft=(drf_[0-9a-f]+)", saved.headers["Location"])[1]
    page = client.get(saved.headers["Location"]).data.decode()
    assert "草稿已儲存" in page and 'value="稅捐稽徵"' in page and f'value="{draft_id}"' in page
    assert draft_id in client.get("/drafts").data.decode()
    downloaded = client.get(f"/drafts/{draft_id}.json")
    assert downloaded.status_code == 200 and downloaded.json["purpose"] == "稅捐稽徵"
    client.post("/logout", data={"csrf": csrf(client, "/forms")})
    sign_in(client, "tom")  # another agency's staff
    assert draft_id not in client.get("/drafts").data.decode()
    assert client.get(f"/forms/annex2-agreement/new?draft={draft_id}").status_code == 404
    assert client.get(f"/drafts/{draft_id}.json").status_code == 404
    client.post("/logout", data={"csrf": csrf(client, "/forms")})
    sign_in(client, "sara")
    posted = dict(flatten(load_example("annex2-agreement")))
    to_sign = client.post("/forms/annex2-agreement/new", data={**posted, "draft_id": draft_id,
                                                              "csrf": csrf(client, "/forms"), "action": "sign"})
    assert to_sign.status_code == 303 and to_sign.headers["Location"].endswith(f"/sign/drafts/{draft_id}")
    assert catalog.draft(draft_id) is not None  # the same draft, now what the signing page signs
    signed = client.post(f"/sign/drafts/{draft_id}/agency-key", data={"csrf": csrf(client, "/forms")})
    assert signed.status_code == 303 and "/records/" in signed.headers["Location"]
    assert catalog.draft(draft_id) is None


def test_a_json_file_fills_the_page(client, staff):
    import io
    import json

    sign_in(client, "sara")
    upload = (io.BytesIO(json.dumps(load_example("annex3-requirements"), ensure_ascii=False).encode()), "in.json")
    page = client.post("/forms/annex3-requirements/new", data={"csrf": csrf(client, "/forms"), "action": "load-json",
                                                              "json_file": upload},
                       content_type="multipart/form-data").data.decode()
    assert 'name="roles.auditor.name" value="陳美玲"' in page and 'name="period.start" value="115/01/01"' in page
    bad = client.post("/forms/annex3-requirements/new", data={"csrf": csrf(client, "/forms"), "action": "load-json",
                                                             "json_file": (io.BytesIO(b"[1, 2]"), "in.json")},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and "JSON 檔案須為一個物件" in bad.data.decode()
    deep = client.post("/forms/annex3-requirements/new", data={
        "csrf": csrf(client, "/forms"), "action": "load-json",
        "json_file": (io.BytesIO(b"[" * 100_000 + b"]" * 100_000), "deep.json")}, content_type="multipart/form-data")
    assert deep.status_code == 400 and "巢狀達 100000 層" in deep.data.decode()


def test_a_preview_shows_the_unsigned_pages_and_stores_nothing(client, staff, catalog):
    sign_in(client, "sara")
    posted = dict(flatten(load_example("annex2-agreement")))
    page = client.post("/forms/annex2-agreement/new", data={**posted, "csrf": csrf(client, "/forms"),
                                                           "action": "preview"}).data.decode()
    assert "預覽（未簽章" in page and page.count('src="data:image/png;base64,') >= 1 and 'alt="預覽第 1 頁"' in page
    assert catalog.find_records(RecordFilter(limit=10)) == []


def _register_csv(rows: int, bad: dict[int, dict[str, str]]) -> str:
    """A CSV of ``rows`` queries in 115/11 with Chinese headings; ``bad`` replaces cells of some rows."""
    lines = ["查詢日期時間,查詢人員,帳號,統一編號,名稱,查詢目的,案號"]
    for n in range(rows):
        cells = {"at": f"2026-11-{n % 28 + 1:02d}T09:{n % 60:02d}:00", "name": "王小明", "account": "tp-wang",
                 "business_id": "22099131", "entity_name": "台灣積體電路製造股份有限公司", "purpose": "營業稅籍查核",
                 "case_no": f"北市稽字第115300{n:04d}號"}
        cells.update(bad.get(n, {}))
        lines.append(",".join(cells.values()))
    return "\n".join(lines) + "\n"


def test_register_entries_come_from_a_csv_with_bad_rows_named_by_line_and_column(client, staff):
    import io

    sign_in(client, "tom")
    text = _register_csv(500, {10: {"business_id": "12345678"}, 200: {"at": "昨天"}})
    page = client.post("/forms/annex5-query-log/new",
                       data={"csrf": csrf(client, "/forms"), "action": "load-entries",
                             "entries_csv": (io.BytesIO(text.encode()), "queries.csv")},
                       content_type="multipart/form-data").data.decode()
    assert "已匯入 498 筆" in page and "以下 2 筆未匯入" in page
    assert "第 12 行「統一編號」" in page and "第 202 行「查詢日期時間」" in page  # line 1 is the heading
    assert 'name="entries.497.user.account" value="tp-wang"' in page
    pasted = client.post("/forms/annex5-query-log/new",
                         data={"csrf": csrf(client, "/forms"), "action": "load-entries",
                               "entries_paste": _register_csv(3, {}).replace(",", "\t")}).data.decode()
    assert "已匯入 3 筆" in pasted


def test_an_unknown_csv_column_is_named():
    from forms_service.forms.entries_csv import read_entries

    found = read_entries("查詢日期時間,查詢者\n2026-11-01T09:00,王小明\n")
    assert [str(p) for p in found.problems] == [
        "第 1 行「查詢者」：不是可匯入的欄位 (unknown column; use 查詢日期時間、查詢人員、帳號、統一編號、名稱、"
        "負責人、查詢目的、案號、核准人、查調者說明、備註)"]


@pytest.mark.integration
@pytest.mark.parametrize("form_id", ["annex1-interface", "annex4-audit-checklist"])
def test_the_page_and_the_api_make_the_same_document(real_client, catalog, form_id):
    """The same values through the page and through the API: PDFs with the same text (the
    signature stamps aside, whose time may differ)."""
    from forms_service.access.tokens import create_token
    from tests.conftest import pdftotext

    create_user(catalog, username="sara", password=PASSWORD, agency="379010000A" if "annex4" in form_id
                else "379000000A", role="staff")
    sign_in(real_client, "sara")
    data = load_example(form_id)
    signed = real_client.post(f"/forms/{form_id}/new", data={**dict(flatten(data)), "csrf": csrf(real_client,
                                                                                                "/forms"),
                                                            "action": "sign"})
    assert signed.status_code == 303, signed.data.decode()[:2000]
    draft_id = signed.headers["Location"].rsplit("/", 1)[-1]
    filed = real_client.post(f"/sign/drafts/{draft_id}/agency-key", data={"csrf": csrf(real_client, "/forms")})
    assert filed.status_code == 303, filed.data.decode()[:2000]
    via_page = filed.headers["Location"].split("?")[0].rsplit("/", 1)[-1]
    token = create_token(catalog, agency="379010000A" if "annex4" in form_id else "379000000A", role="staff")
    via_api = real_client.post(f"/api/v1/forms/{form_id}/records", json=data,
                               headers={"Authorization": f"Bearer {token}"}).json["record_id"]

    def text(record_id):
        pdf = real_client.get(f"/api/v1/records/{record_id}/pdf", headers={"Authorization": f"Bearer {token}"}).data
        return [line for line in pdftotext(pdf).splitlines() if not re.search(r"簽署人|機關：|時間：", line)]

    assert text(via_page) == text(via_api)


def test_an_admin_manages_people_and_tokens_on_pages_and_every_change_is_audited(client, staff, admin, catalog):
    from forms_service.access.tokens import hash_token

    sign_in(client, "ada")
    token = csrf(client, "/admin/users")
    created = client.post("/admin/users", data={"csrf": token, "action": "create", "username": "carl",
                                                 "agency": "３７９００００００ａ", "role": "clerk"}).data.decode()
    password = re.search(r'<code id="one-time-password">([^<]+)</code>', created)[1]
    assert catalog.user("carl").agency == "379000000A" and catalog.user("carl").role == "clerk"
    client.post("/admin/users", data={"csrf": token, "action": "role", "username": "carl", "role": "auditor"})
    assert catalog.user("carl").role == "auditor"
    client.post("/admin/users", data={"csrf": token, "action": "lock", "username": "carl"})
    locked = client.post("/login", data={"csrf": token, "username": "carl", "password": password})
    assert catalog.user("carl").locked_until.year == 9999 and locked.status_code == 401
    assert "已鎖定" in locked.data.decode()
    sign_in(client, "ada")
    token = csrf(client, "/admin/users")
    client.post("/admin/users", data={"csrf": token, "action": "unlock", "username": "carl"})
    refused = client.post("/admin/users", data={"csrf": token, "action": "create", "username": "carl",
                                                 "agency": "379000000A", "role": "clerk"})
    assert refused.status_code == 400 and "已有人使用，請換一個帳號名稱" in refused.data.decode()
    made = client.post("/admin/tokens", data={"csrf": token, "action": "create", "agency": "379000000A",
                                               "role": "staff", "label": "稅務系統", "days": "30"}).data.decode()
    secret = re.search(r'<code id="new-token">([^<]+)</code>', made)[1]
    [stored] = [t for t in catalog.tokens() if t.label == "稅務系統"]
    assert catalog.token_by_hash(hash_token(secret), now=stored.created_at) is not None
    client.post("/admin/tokens", data={"csrf": token, "action": "revoke", "token": str(stored.id)})
    assert catalog.token_by_hash(hash_token(secret), now=stored.created_at) is None
    actions = {e.action for e in catalog.audit_events(limit=50) if e.actor == "user:ada"}
    assert {"user.create", "user.role", "user.lock", "user.unlock", "token.create", "token.revoke"} <= actions
    client.post("/logout", data={"csrf": csrf(client, "/admin/users")})
    login = client.post("/login", data={"csrf": csrf(client), "username": "carl", "password": password})
    assert login.status_code == 302  # the one-time password works
    assert client.get("/admin/users").status_code == 403


def test_every_page_post_without_its_csrf_token_is_refused(client, staff, admin, agreements_for_csrf):
    """Each POST route of the pages, reached by a signed-in administrator without the token: 400."""
    sign_in(client, "ada")
    values = {"form_id": "annex2-agreement", "record_id": agreements_for_csrf, "draft_id": "drf_x",
              "code": "379000000A", "system": "稅務資料整合查詢系統", "month": "2026-11", "inspection_id": "insp_x",
              "number": 1, "connection_id": "rec_x", "batch_id": "bat_x"}
    routes = [rule for rule in client.application.url_map.iter_rules()
              if rule.endpoint.startswith("ui.") and "POST" in rule.methods and rule.endpoint != "ui.login"]
    assert len(routes) >= 8  # forms, drafts, countersign, profiles, users, tokens, query logs, sign-out
    for rule in routes:
        path = rule.build({k: v for k, v in values.items() if k in rule.arguments})[1]
        response = client.post(path, data={"action": "sign", "decision": "return", "reason": "x"})
        assert response.status_code == 400, (rule.endpoint, response.status_code)


@pytest.fixture
def agreements_for_csrf(fake_components):
    produced = signed_form(fake_components, "annex2-agreement", load_example("annex2-agreement"))
    return fake_components.archive.submit(produced, LOCAL_OPERATOR).record_id


def test_an_application_leads_to_its_change_or_termination(client, staff, fake_components):
    application = fake_components.archive.submit(
        signed_form(fake_components, "annex1-interface", load_example("annex1-interface")), LOCAL_OPERATOR)
    sign_in(client, "sara")
    change = client.get(f"/forms/annex1-interface/new?from={application.record_id}&type=change").data.decode()
    assert 'value="change" checked' in change and 'name="period.start" value="115/01/01"' in change  # same period
    ending = client.get(f"/forms/annex1-interface/new?from={application.record_id}&type=termination").data.decode()
    assert 'value="termination" checked' in ending and 'name="users.0.name"' in ending  # an empty row offered
    assert 'value="王小明"' not in ending and f'value="{application.record_id}"' in ending


def test_a_bad_upload_keeps_what_was_typed(client, staff):
    import io

    sign_in(client, "sara")
    response = client.post("/forms/annex2-agreement/new",
                           data={"csrf": csrf(client, "/forms"), "action": "load-json", "purpose": "稅捐稽徵",
                                 "json_file": (io.BytesIO(b"{oops"), "in.json")},
                           content_type="multipart/form-data")
    page = response.data.decode()
    assert response.status_code == 400 and "不是有效的 JSON" in page and 'value="稅捐稽徵"' in page


def test_an_agency_chooses_which_blocks_its_people_sign_with_their_own_cards(client, staff, admin, catalog):
    """The signing order's persons' blocks are the agency's setting: checked on its profile page,
    they come first in its documents' signing order; a one-person unit leaves them all out."""
    sign_in(client, "ada")
    page = client.get("/admin/agencies/379000000A").data.decode()
    assert "由人員以自己的憑證卡先行簽章之欄位" in page and "本機關之設定，非規範所定" in page
    assert "本機關自訂之規則" in page and "附件5 之查核人員不得為當月之查詢人員" in page and "不予送件" in page
    assert 'value="annex1-interface:officer"' in page and "附件1 商工e網通異動資料介接申請單：承辦人" in page
    token = csrf(client, "/admin/agencies")
    forged = client.post("/admin/agencies/379000000A", data={**PROFILE, "csrf": token,
                                                             "signature_blocks": "annex2-agreement:party"})
    assert forged.status_code == 422
    saved = client.post("/admin/agencies/379000000A", data={**PROFILE, "csrf": token, "signature_blocks": [
        "annex1-interface:officer", "annex1-interface:supervisor"]})
    assert saved.status_code == 303
    assert catalog.agency_profile("379000000A").data["signature_blocks"] == [
        "annex1-interface:officer", "annex1-interface:supervisor"]
    page = client.get("/admin/agencies/379000000A").data.decode()
    assert re.search(r'value="annex1-interface:officer"[^>]*checked', page)


def test_a_form_names_its_connection_by_choosing_it_not_by_typing_an_id(client, staff, fake_components):
    """/forms/<id>/new offers the agency's connections by system, unit and state; the choice posts
    the connection's 附件1 — no 紀錄編號 is typed."""
    application = fake_components.archive.submit(
        signed_form(fake_components, "annex1-interface", load_example("annex1-interface")), LOCAL_OPERATOR)
    sign_in(client, "sara")
    page = client.get("/forms/annex3-requirements/new").data.decode()
    select = page[page.index('<select id="f-related_record"'):]
    select = select[:select.index("</select>")]
    offered = "稅務資料整合查詢系統（臺北市稅捐稽徵處，申請中）"
    assert f'<option value="{application.record_id}">{offered}</option>' in select
    assert '<label for="f-related_record">介接案' in page
    chosen = client.get(f"/forms/annex3-requirements/new?from={application.record_id}").data.decode()
    assert f'<option value="{application.record_id}" selected>' in chosen


def test_the_checklist_marks_every_unanswered_item_conforming_in_one_step(client, staff):
    sign_in(client, "sara")
    page = client.get("/forms/annex4-audit-checklist/new").data.decode()
    assert "未作答者全部設為符合" in page
    posted = {"csrf": csrf(client, "/forms"), "action": "all-conform", "items.0.id": "1", "items.0.result": "",
              "items.1.id": "2", "items.1.result": "nonconform"}
    answered = client.post("/forms/annex4-audit-checklist/new", data=posted).data.decode()
    assert 'name="items.0.result" value="conform" checked' in answered
    assert 'name="items.1.result" value="nonconform" checked' in answered  # an answer given is kept


def test_the_checklist_is_its_questions_not_numbered_rows(client, staff):
    """附件4 asks each standard item as its own question (its text as the legend, the 項次 kept
    hidden): no 「第 N 列（選填）」, no drop-down to pick the item, no rows to add."""
    from forms_service.forms.annex4_audit_checklist import STANDARD_ITEMS

    sign_in(client, "sara")
    page = client.get("/forms/annex4-audit-checklist/new").data.decode()
    assert f"<legend>3. {STANDARD_ITEMS[3]}</legend>" in page
    assert '<input type="hidden" name="items.2.id" value="3">' in page
    items = page[page.index('id="f-items"'):page.index('id="f-findings"')]
    assert '<select id="f-items-0-id"' not in items and "第 1 列" not in items and 'value="add-row"' not in items


def test_an_application_shows_what_its_type_asks_and_the_method_first(client, staff):
    """A 新申請 marks what it must carry as required and hides the 終止 part; a 終止 the reverse;
    資料交換方式 comes right after the type (it decides what else is required)."""
    sign_in(client, "sara")
    new = client.get("/forms/annex1-interface/new").data.decode()
    assert 'id="f-termination" tabindex="-1" data-show-when="termination" hidden' in new
    assert "<legend>使用期限</legend>" in new  # required: no 「（選填）」
    order = [new.index(f'name="{name}"') for name in ("application_type", "exchange_methods", "applicant.name")]
    assert order == sorted(order)
    assert "fill.js" in new
    posted = {"csrf": csrf(client, "/forms"), "action": "check", "application_type": "termination"}
    ending = client.post("/forms/annex1-interface/new", data=posted).data.decode()
    assert 'data-show-when="termination" hidden' not in ending
    assert re.search(r'id="f-period" tabindex="-1" data-show-when="not-termination" hidden', ending)
