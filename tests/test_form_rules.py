"""The regulation's rules on each form's input, and the checks across the forms of one connection.

Each refusal names the field (the path a client or a page shows the error beside); the checks
across forms name this form's field and, in the sentence, the 附件1's.
"""

from __future__ import annotations

import copy
from datetime import date

import pytest

from forms_service.errors import ValidationFailed
from forms_service.forms import get_form
from forms_service.forms.connection import related_problems, value_at
from forms_service.taiwan import format_roc_short
from tests.conftest import load_example

RECORD = "rec_" + "0" * 32


def problems(form_id: str, data) -> dict[str, str]:
    try:
        get_form(form_id).validate(data)
    except ValidationFailed as err:
        return {p.path: p.message for p in err.problems}
    return {}


def valid(form_id: str, data):
    found = problems(form_id, data)
    assert found == {}, found
    return get_form(form_id).validate(data)


# --- 附件1 --------------------------------------------------------------------------------------

def test_an_application_names_its_letter_its_basis_and_whether_sensitive_data_is_involved():
    data = load_example("annex1-interface")
    del data["request_letter"]
    assert "request_letter" in problems("annex1-interface", data)
    data = load_example("annex1-interface")
    del data["basis_documents"], data["sensitive_personal_data"]
    assert {"basis_documents", "sensitive_personal_data"} <= set(problems("annex1-interface", data))


@pytest.mark.parametrize("number", ["經商字第10902435080號", "（112）北市地登字第1126002154號", "北市財字第112600215號",
                                    "(112)北市地登字第１１２６００２１５４號"])
def test_the_letter_number_is_a_doc_number_as_people_type_it(number):
    data = load_example("annex1-interface")
    data["request_letter"]["number"] = number
    form = valid("annex1-interface", data)
    assert "１" not in form.request_letter.number and "（" not in form.request_letter.number


@pytest.mark.parametrize("number", ["第10902435080號", "經商字第123號", "經商字10902435080"])
def test_a_letter_number_that_is_no_doc_number_is_named(number):
    data = load_example("annex1-interface")
    data["request_letter"]["number"] = number
    assert "request_letter.number" in problems("annex1-interface", data)


def test_several_exchange_methods_may_be_chosen_once_each():
    data = load_example("annex1-interface")
    data["exchange_methods"] = ["interface", "remote_query"]
    valid("annex1-interface", data)
    data["exchange_methods"] = ["interface", "interface"]
    assert "exchange_methods" in problems("annex1-interface", data)
    data["exchange_methods"] = ["fax"]
    assert "exchange_methods[0]" in problems("annex1-interface", data)


@pytest.mark.parametrize("methods", [["media"], ["paper"], ["media", "paper"]])
def test_a_copy_on_media_or_paper_needs_no_source_ips_or_tls(methods):
    data = load_example("annex1-copy")
    data["exchange_methods"] = methods
    data.pop("security", None)
    data["host"].pop("ip_addresses", None)
    valid("annex1-copy", data)


def test_a_copy_sent_over_the_network_needs_its_transport_security():
    data = load_example("annex1-copy")
    data["exchange_methods"] = ["network"]
    data["host"]["ip_addresses"] = []
    found = problems("annex1-copy", data)
    assert "security" in found and "六(一)2(3)" in found["security"] and "host.ip_addresses" in found


def test_an_interface_connection_without_vpn_is_refused_with_the_clause():
    data = load_example("annex1-interface")
    data["security"]["vpn"] = False
    found = problems("annex1-interface", data)
    assert "VPN" in found["security.vpn"] and "六(一)2(3)" in found["security.vpn"]


@pytest.mark.parametrize("network", ["0.0.0.0/0", "::/0"])
def test_a_source_open_to_everyone_is_refused_even_with_a_reason(network):
    data = load_example("annex1-interface")
    data["security"]["source_ips"] = ["192.0.2.0/28", network]
    data["security"]["wide_network_reason"] = "全國各分局皆須連線"
    found = problems("annex1-interface", data)
    assert "security.source_ips[1]" in found and "等於不限來源" in found["security.source_ips[1]"]


@pytest.mark.parametrize("network", ["10.0.0.0/16", "192.0.0.0/23", "2001:db8::/32", "2001:db8::/47"])
def test_a_source_wider_than_a_24_or_48_needs_a_stated_reason(network):
    data = load_example("annex1-interface")
    data["security"]["source_ips"] = [network]
    assert "來源網段寬於 /24（IPv6 /48）之理由" in problems("annex1-interface", data)["security.source_ips[0]"]
    data["security"]["wide_network_reason"] = "本局各分處共用之內部網段，已由防火牆限定"
    valid("annex1-interface", data)


@pytest.mark.parametrize("network", ["192.0.2.0/24", "192.0.2.7", "2001:db8:1::/48", "2001:db8::1"])
def test_networks_up_to_a_24_or_48_need_no_reason(network):
    data = load_example("annex1-interface")
    data["security"]["source_ips"] = [network]
    valid("annex1-interface", data)


# A 終止 application: the connection, the letter, the date and the reason — nothing else.
TERMINATION = {
    "application_type": "termination",
    "request_letter": {"number": "北市財資字第1153099999號", "date": "115/12/01"},
    "applicant": {"name": "臺北市政府財政局", "code": "379000000A"},
    "host": {"name": "臺北市政府財政局資訊室", "system_name": "稅務資料整合查詢系統"},
    "user_unit": {"name": "臺北市稅捐稽徵處", "code": "379010000A"},
    "related_record": RECORD,
    "termination": {"effective_on": "115/12/31", "reason": "系統停用，已無使用需求。"},
    "applied_on": "115/12/01",
}


def test_a_termination_needs_only_what_ends_the_connection():
    data = copy.deepcopy(TERMINATION)
    form = valid("annex1-interface", data)
    assert get_form("annex1-interface").retain_from(form) == date(2026, 12, 31)
    del data["termination"], data["related_record"]
    found = problems("annex1-interface", data)
    assert set(found) == {"termination", "related_record"}


def test_a_new_application_lists_every_missing_part_and_has_no_termination():
    data = load_example("annex1-interface")
    for name in ("users", "period", "purpose"):
        del data[name]
    data["termination"] = {"effective_on": "115/12/31", "reason": "x"}
    assert {"users", "period", "purpose", "termination"} <= set(problems("annex1-interface", data))


def test_the_schema_says_what_each_application_type_needs():
    schema = get_form("annex1-interface").json_schema()
    rule = schema["allOf"][0]
    assert rule["if"]["properties"]["application_type"]["const"] == "termination"
    assert rule["then"]["required"] == ["termination"] and "users" in rule["else"]["required"]


# --- 附件2 --------------------------------------------------------------------------------------

def test_the_agreement_names_its_users_and_its_period_has_no_maximum_of_the_regulations():
    data = load_example("annex2-agreement")
    del data["users"]
    assert "users" in problems("annex2-agreement", data)
    data = load_example("annex2-agreement")
    data["period"] = {"start": "115/01/01", "end": "124/12/31"}  # ten years: the regulation sets no maximum
    assert "period.end" not in problems("annex2-agreement", data)


# --- 附件3 --------------------------------------------------------------------------------------

def test_requirements_are_kept_while_in_force():
    data = load_example("annex3-requirements")
    spec = get_form("annex3-requirements")
    assert spec.retain_from(valid("annex3-requirements", data)) == date(2028, 12, 31)  # the 使用期限's end
    del data["period"]
    assert spec.retain_from(valid("annex3-requirements", data)) == date(2029, 12, 1)  # effective + 3 years


def test_requirements_approved_after_they_take_effect_are_refused():
    data = load_example("annex3-requirements")
    data["approval"]["approved_on"] = "115/12/02"
    assert "approval.approved_on" in problems("annex3-requirements", data)


# --- 附件4 --------------------------------------------------------------------------------------

def test_a_nonconform_answer_needs_a_finding_that_names_the_item():
    data = load_example("annex4-audit-checklist")
    data["findings"][0].pop("item")
    found = problems("annex4-audit-checklist", data)
    assert "items[5].result" in found and "第 6 項為「不符合」，請在缺失事項列出此項" in found["items[5].result"]


def test_the_audit_cannot_precede_the_period_nor_the_answers_follow_the_audit():
    data = load_example("annex4-audit-checklist")
    data["audit_date"] = "114/10/01"
    data["findings"][0]["due"] = "114/12/31"
    assert "audit_date" in problems("annex4-audit-checklist", data)
    data = load_example("annex4-audit-checklist")
    data["filled_on"] = "115/11/21"
    assert "filled_on" in problems("annex4-audit-checklist", data)


def test_the_audited_units_own_answer_is_kept_beside_the_finding():
    form = valid("annex4-audit-checklist", load_example("annex4-audit-checklist"))
    vpn = next(item for item in form.items if item.id == 6)
    assert (vpn.self_result, vpn.result) == ("conform", "nonconform")


# --- 附件5 --------------------------------------------------------------------------------------

def test_a_query_by_name_or_responsible_person_has_no_business_id():
    data = load_example("annex5-query-log")
    form = valid("annex5-query-log", data)
    assert "" not in get_form("annex5-query-log").subjects(form)
    data["entries"][0].update(business_id="", entity_name="", responsible_person="")
    assert "entries[0].business_id" in problems("annex5-query-log", data)


def test_the_reviewer_reviews_after_the_month_and_being_a_querier_is_the_agencys_rule():
    from forms_service.forms.policies import Policy

    data = load_example("annex5-query-log")
    data["review"]["reviewed_on"] = "115/11/30"
    assert "review.reviewed_on" in problems("annex5-query-log", data)
    data = load_example("annex5-query-log")
    querier = data["entries"][0]["user"]
    data["review"]["reviewer"] = {"name": querier["name"], "account": querier["account"]}
    form = valid("annex5-query-log", data)  # a one-person unit may file it
    [finding] = get_form("annex5-query-log").policy_checks(form, Policy())
    assert finding.rule == "reviewer_not_querier" and finding.problem.path == "review.reviewer"
    data["review"]["reviewer"] = {"name": querier["name"]}  # the same name, no account: not matched
    assert get_form("annex5-query-log").policy_checks(valid("annex5-query-log", data), Policy()) == []


# --- across forms -------------------------------------------------------------------------------

def _json(form_id: str, data) -> dict:
    return get_form(form_id).validate(data).model_dump(mode="json", by_alias=True)


APPLICATION = _json("annex1-interface", load_example("annex1-interface"))


@pytest.mark.parametrize("form_id", ["annex2-agreement", "annex3-requirements", "annex4-audit-checklist",
                                     "annex5-query-log"])
def test_the_examples_agree_with_their_application(form_id):
    data = _json(form_id, {**load_example(form_id), "related_record": RECORD})
    assert related_problems(form_id, data, "annex1-interface", APPLICATION) == []


@pytest.mark.parametrize(("form_id", "path", "value", "named"), [
    ("annex2-agreement", "purpose", "房屋稅稽徵", "purpose"),
    ("annex2-agreement", "legal_basis", "房屋稅條例第1條", "legal_basis"),
    ("annex2-agreement", "period.end", "116/12/31", "period.end"),
    ("annex2-agreement", "party.name", "臺北市政府主計處", "applicant.name"),
    ("annex3-requirements", "system_name", "另一系統", "host.system_name"),
    ("annex3-requirements", "user_unit.code", "379020000A", "user_unit.code"),
    ("annex4-audit-checklist", "user_unit.name", "臺北市政府地政局", "user_unit.name"),
    ("annex5-query-log", "system_name", "另一系統", "host.system_name"),
])
def test_a_disagreement_names_the_field_and_shows_both_values(form_id, path, value, named):
    data = load_example(form_id)
    target = data
    *parents, leaf = path.split(".")
    for part in parents:
        target = target[part]
    target[leaf] = value
    found = {p.path: p.message for p in related_problems(form_id, _json(form_id, data), "annex1-interface",
                                                         APPLICATION)}
    theirs = value_at(APPLICATION, named)
    shown = format_roc_short(date.fromisoformat(theirs)) if named == "period.end" else theirs
    assert path in found and f"附件1 為「{shown}」" in found[path] and "與介接案附件1 所載不同" in found[path]
    assert named not in found[path]  # a person reads labels and values, not the 附件1's JSON path


def test_the_agreements_users_are_the_applications():
    data = load_example("annex2-agreement")
    data["users"] = data["users"][:1] + [{"name": "張三", "account": "tp-chang", "business_scope": "稽徵"}]
    found = {p.path: p.message for p in related_problems("annex2-agreement", _json("annex2-agreement", data),
                                                         "annex1-interface", APPLICATION)}
    assert "users[1]" in found and "users" in found and "林𡘙華" in found["users"]


def test_an_unapproved_querier_cannot_pass_a_no_anomaly_review():
    data = load_example("annex5-query-log")
    data["entries"][3]["user"] = {"name": "李小華", "account": "tp-lee"}
    found = {p.path: p.message for p in related_problems("annex5-query-log", _json("annex5-query-log", data),
                                                         "annex1-interface", APPLICATION)}
    assert "entries[3].user" in found and "查核結果不能為「無異常」" in found["entries[3].user"]
    data["review"] = {**data["review"], "result": "abnormal", "explanation": "李小華非核准使用者，已請其說明。"}
    assert related_problems("annex5-query-log", _json("annex5-query-log", data), "annex1-interface",
                            APPLICATION) == []


def test_only_an_application_that_is_not_a_termination_can_be_referred_to():
    data = _json("annex2-agreement", {**load_example("annex2-agreement"), "related_record": RECORD})
    assert related_problems("annex2-agreement", data, "annex3-requirements", {})[0].path == "related_record"
    ended = {**APPLICATION, "application_type": "termination"}
    assert "終止" in related_problems("annex2-agreement", data, "annex1-interface", ended)[0].message
