"""Only the regulation's rules are the regulation's: a rule practice adds is its party's setting,
a warning by default (shown before signing, kept with the record), a refusal only where the party
says so — with a sentence naming that party's setting, never the regulation."""

from __future__ import annotations

import pytest

from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from tests.conftest import load_example
from tests.test_web_pages import PASSWORD, sign_in

FINANCE, TAX = "379000000A", "379010000A"


def _post(client, catalog, form_id: str, data: dict, agency: str):
    token = create_token(catalog, agency=agency, role="staff", label="test")
    return client.post(f"/api/v1/forms/{form_id}/records", json=data, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("period", [{"start": "115/01/01", "end": "118/06/30"},
                                    {"start": "115/01/01", "end": "124/12/31"}])
def test_an_agreement_of_any_length_is_filed_with_the_defaults(client, catalog, period):
    data = {**load_example("annex2-agreement"), "period": period}
    filed = _post(client, catalog, "annex2-agreement", data, FINANCE)
    assert filed.status_code == 201, filed.json
    assert "warnings" not in filed.json


@pytest.mark.settings(provider_max_use_years=3)
def test_the_providers_maximum_refuses_naming_the_provider_setting(client, catalog):
    data = {**load_example("annex2-agreement"), "period": {"start": "115/01/01", "end": "118/06/30"}}
    refused = _post(client, catalog, "annex2-agreement", data, FINANCE)
    assert refused.status_code == 422
    [problem] = refused.json["error"]["errors"]
    assert problem["path"] == "period.end" and "依資料提供機關之設定「使用期限上限」" in problem["message"]
    assert "規範" not in problem["message"]
    within = {**data, "period": {"start": "115/01/01", "end": "117/12/31"}}
    assert _post(client, catalog, "annex2-agreement", within, FINANCE).status_code == 201


def test_a_register_reviewed_by_a_one_person_unit_is_filed_with_the_warning_kept(client, catalog):
    data = load_example("annex5-query-log")
    querier = data["entries"][0]["user"]
    data["review"]["reviewer"] = {"name": querier["name"], "account": querier["account"]}
    filed = _post(client, catalog, "annex5-query-log", data, TAX)
    assert filed.status_code == 201, filed.json
    [warning] = filed.json["warnings"]
    assert warning["path"] == "review.reviewer"
    assert "依本機關之設定「附件5 之查核人員不得為當月之查詢人員」" in warning["message"]
    create_event = next(e for e in catalog.audit_events(record_id=filed.json["record_id"])
                        if e.action == "record.create")
    assert create_event.detail["warnings"] == filed.json["warnings"]  # kept with the record
    create_user(catalog, username="tom", password=PASSWORD, agency=TAX, role="staff")
    sign_in(client, "tom")
    page = client.get(f"/records/{filed.json['record_id']}").data.decode()
    assert "送件時的提醒" in page and "附件5 之查核人員不得為當月之查詢人員" in page

    # Where the agency's own rule refuses, it is refused — naming the agency's setting.
    catalog.set_agency_profile(TAX, {"name": "臺北市稅捐稽徵處", "policies": {"reviewer_not_querier": "refuse"}},
                               by="test", now=catalog.audit_events()[0].at)
    refused = _post(client, catalog, "annex5-query-log", data, TAX)
    assert refused.status_code == 422 and "依本機關之設定" in refused.json["error"]["errors"][0]["message"]
    catalog.set_agency_profile(TAX, {"name": "臺北市稅捐稽徵處", "policies": {"reviewer_not_querier": "off"}},
                               by="test", now=catalog.audit_events()[0].at)
    quiet = _post(client, catalog, "annex5-query-log", data, TAX)
    # The rule off, the only thing said is that this system's month already has a register (the first).
    assert quiet.status_code == 201 and [w["code"] for w in quiet.json["warnings"]] == ["already_filed"]
    assert "稅務資料整合查詢系統 115年11月 已有登記表" in quiet.json["warnings"][0]["message"]


def test_a_purge_dated_before_the_termination_is_recorded_with_a_note(client, catalog, clock):
    """The regulation sets only the latest day (一個月內): data cleared before the 終止日期 is
    recorded as it was done, with a note — and one person performing and witnessing it is the
    agency's rule, a warning by default."""
    from datetime import datetime

    from tests.conftest import agreed_connection, bearer

    clock.at = datetime.fromisoformat("2028-11-10T02:00:00+00:00")
    root = agreed_connection(client, catalog)
    ending = {key: value for key, value in load_example("annex1-interface").items()
              if key in ("applicant", "host", "user_unit", "request_letter", "applied_on")}
    termination = client.post("/api/v1/forms/annex1-interface/records", headers=bearer(catalog, FINANCE, "staff"),
                              json={**ending, "application_type": "termination", "related_record": root,
                                    "termination": {"effective_on": "117/11/30", "reason": "業務移撥"}})
    assert termination.status_code == 201, termination.json
    clock.at = datetime.fromisoformat("2028-12-05T02:00:00+00:00")
    data = {**load_example("purge-record"), "related_record": termination.json["record_id"],
            "terminated_on": "117/11/30", "completed_on": "117/12/04",
            "places": [{**p, "done_on": "117/11/25"} for p in load_example("purge-record")["places"]]}
    data["performed_by"]["account"] = "tp-lin"
    data["witnessed_by"] = dict(data["performed_by"])  # and one person alone
    filed = client.post("/api/v1/forms/purge-record/records", json=data, headers=bearer(catalog, TAX, "staff"))
    assert filed.status_code == 201, filed.json
    messages = [w["message"] for w in filed.json["warnings"]]
    assert any("清除日期早於終止日期" in m and "規範僅定終止後一個月內完成" in m for m in messages)
    assert any("依本機關之設定「資料清除紀錄之監督（見證）人不得為執行人」" in m for m in messages)


def test_two_people_of_one_name_are_not_the_same_person():
    from forms_service.forms.types import Person, same_person

    first, second = Person(name="陳美玲", email="mei@a.gov.tw"), Person(name="陳美玲", email="mei@b.gov.tw")
    assert not same_person(first, second) and not same_person(Person(name="陳美玲"), Person(name="陳美玲"))
    assert same_person(Person(name="陳美玲", account="TP-MEI"), Person(name="阿玲", account="ｔｐ－ｍｅｉ"))
