"""The data provider's pages (Flask's test client): the 附件2 awaiting countersignature across
agencies, oldest first; a return with its reason, seen by the agency; other roles refused."""

from __future__ import annotations

import pytest

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.users import create_user
from tests.conftest import load_example, signed_form
from tests.test_web_pages import PASSWORD, csrf, sign_in


@pytest.fixture
def people(catalog):
    create_user(catalog, username="paul", password=PASSWORD, agency="A15000000E", role="provider")
    create_user(catalog, username="sara", password=PASSWORD, agency="379000000A", role="staff")


@pytest.fixture
def agreements(fake_components, clock):
    """Two agencies' agreements, filed a day apart."""
    other = {**load_example("annex2-agreement"), "party": {"name": "臺南市政府", "code": "395000000A"}}
    filed = []
    for data in (load_example("annex2-agreement"), other):
        produced = signed_form(fake_components, "annex2-agreement", data)
        filed.append(fake_components.archive.submit(produced, LOCAL_OPERATOR).record_id)
        clock.advance(days=1)
    return filed


def test_the_provider_sees_every_agencys_agreements_oldest_first(client, people, agreements):
    sign_in(client, "paul")
    page = client.get("/countersign").data.decode()
    assert page.index(agreements[0]) < page.index(agreements[1]) and "共 2 件待會簽" in page
    assert '待會簽 <span class="count">2<span class="visually-hidden"> 件</span>' in page  # counted in the navigation
    review = client.get(f"/countersign/{agreements[1]}").data.decode()
    assert "臺南市政府" in review and "退回理由" in review and "已審閱本約定書內容，同意會簽" in review


def test_a_return_needs_a_reason_and_the_agency_sees_it(client, people, agreements, catalog):
    sign_in(client, "paul")
    token = csrf(client, f"/countersign/{agreements[0]}")
    refused = client.post(f"/countersign/{agreements[0]}", data={"csrf": token, "decision": "return", "reason": " "})
    assert refused.status_code == 400 and "請填寫退回理由" in refused.data.decode()
    returned = client.post(f"/countersign/{agreements[0]}",
                           data={"csrf": token, "decision": "return", "reason": "使用者業務範圍與申請單不符。"})
    assert returned.status_code == 303
    assert agreements[0] not in client.get("/countersign").data.decode()
    assert any(e.action == "record.return" and e.detail["reason"] == "使用者業務範圍與申請單不符。"
               for e in catalog.audit_events(record_id=agreements[0]))
    client.post("/logout", data={"csrf": csrf(client, "/countersign")})
    sign_in(client, "sara")
    page = client.get(f"/records/{agreements[0]}").data.decode()
    assert "已退回此約定書" in page and "使用者業務範圍與申請單不符。" in page


def test_countersigning_needs_the_confirmation(client, people, agreements):
    sign_in(client, "paul")
    token = csrf(client, f"/countersign/{agreements[0]}")
    response = client.post(f"/countersign/{agreements[0]}", data={"csrf": token, "decision": "countersign"})
    assert response.status_code == 400 and "已審閱本約定書內容" in response.data.decode()


def test_staff_cannot_review_and_a_post_without_csrf_is_refused(client, people, agreements):
    sign_in(client, "sara")
    assert client.get("/countersign").status_code == 403
    assert client.post(f"/countersign/{agreements[0]}", data={"decision": "return", "reason": "x"}).status_code == 400


def test_a_returned_agreement_is_on_its_agencys_due_list_until_its_correction_is_filed(client, catalog, clock):
    """Returned, a 附件2 waits for no signer — but for its agency to correct and file it again: the
    item is the agency staff's until a later 附件2 of the same connection is filed."""
    from forms_service.access import Actor, Role
    from forms_service.access.tokens import create_token
    from forms_service.filing.turns import return_record

    staff = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    root = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                       headers=staff).json["record_id"]
    agreement = {**load_example("annex2-agreement"), "related_record": root}
    first = client.post("/api/v1/forms/annex2-agreement/records", json=agreement, headers=staff).json["record_id"]
    provider = Actor(id="user:paul", agency="A15000000E", role=Role.PROVIDER)
    return_record(catalog, provider, catalog.get_record(first), reason="使用者業務範圍與申請單不符。")

    def returned():
        return [(i["kind"], i["record_id"], i["title"]) for i in client.get("/api/v1/due", headers=staff).json["items"]
                if i["kind"] == "returned"]

    [(kind, record_id, title)] = returned()
    assert record_id == first and title.endswith("已被退回，請修正後重新送件")
    clock.advance(days=1)
    again = client.post("/api/v1/forms/annex2-agreement/records", json=agreement, headers=staff)
    assert again.status_code == 201, again.json
    assert returned() == []
