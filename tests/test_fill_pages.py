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
from tests.conftest import load_example

PASSWORD = "correct horse battery"
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


def csrf(client, path="/login") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).data.decode())[1]


def sign_in(client, username):
    response = client.post("/login", data={"csrf": csrf(client), "username": username, "password": PASSWORD})
    assert response.status_code == 302


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
    signed = client.post("/forms/annex2-agreement/new", data={**posted, "csrf": csrf(client, "/forms"),
                                                             "action": "sign"})
    assert signed.status_code == 303 and "/records/rec_" in signed.headers["Location"]
    record_id = signed.headers["Location"].rsplit("/", 1)[-1]
    record = client.get(f"/records/{record_id}").data.decode()
    assert "臺北市政府財政局" in record and "以此為範本" in record


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
        fake_components.producer.produce("annex1-interface", load_example("annex1-interface")), LOCAL_OPERATOR)
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
    other = fake_components.archive.submit(fake_components.producer.produce("annex1-interface", data), LOCAL_OPERATOR)
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
    signed = client.post("/forms/annex2-agreement/new", data={**posted, "draft_id": draft_id,
                                                             "csrf": csrf(client, "/forms"), "action": "sign"})
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
