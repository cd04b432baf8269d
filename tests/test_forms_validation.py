"""Every form's validation: the examples pass; each rule of docs/forms.md fails naming its path."""

from __future__ import annotations

import pytest

from forms_service.errors import ValidationFailed
from forms_service.forms import all_forms, get_form
from forms_service.produce import validate_input as _validate_input
from forms_service.produce.templates import TemplateSource

PACKAGED = TemplateSource()


def validate_input(form_id, data):
    return _validate_input(form_id, data, PACKAGED)

FORM_IDS = ["annex1-interface", "annex1-copy", "annex2-agreement", "annex3-requirements",
            "annex4-audit-checklist", "annex5-query-log", "purge-record", "incident-report",
            "security-test"]


def paths(form_id: str, data) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_input(form_id, data)
    return {p.path: p.message for p in caught.value.problems}


def test_the_registry_holds_every_document():
    assert sorted(s.form_id for s in all_forms()) == sorted(FORM_IDS)


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_each_example_is_valid(form_id, example):
    validate_input(form_id, example(form_id))


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_unknown_fields_are_refused_in_every_form(form_id, example):
    data = example(form_id)
    data["extra_field"] = 1
    assert "extra_field" in paths(form_id, data)


def test_a_bad_unified_business_number_is_named(example):
    data = example("annex5-query-log")
    data["entries"][3]["business_id"] = "12345678"
    assert "統一編號 12345678 的檢查碼不符" in paths("annex5-query-log", data)["entries[3].business_id"]


def test_an_impossible_roc_date_is_named(example):
    data = example("annex1-interface")
    data["applied_on"] = "民國112年2月29日"
    assert "applied_on" in paths("annex1-interface", data)


def test_an_entry_outside_the_month_is_named(example):
    data = example("annex5-query-log")
    data["entries"][2]["at"] = "2026-12-01T00:00:00"
    assert "此筆查詢的時間不在 115年11月 內" in paths("annex5-query-log", data)["entries[2].at"]


def test_the_month_accepts_roc_and_iso_spellings(example):
    for month in ("115/11", "2026-11", "民國115年11月"):
        data = example("annex5-query-log")
        data["month"] = month
        _, form = validate_input("annex5-query-log", data)
        assert form.month == "2026-11"


def test_an_abnormal_review_needs_an_explanation(example):
    data = example("annex5-query-log")
    data["review"]["result"] = "abnormal"
    assert "review.explanation" in paths("annex5-query-log", data)


def test_a_character_no_font_covers_is_named_with_its_code_point(example):
    data = example("annex2-agreement")
    data["contact"]["name"] = "李\U0001F9A9華"
    message = paths("annex2-agreement", data)["contact.name"]
    assert "U+1F9A9" in message and "空白方框" in message


def test_rare_name_characters_and_emoji_that_the_fonts_cover_are_accepted(example):
    data = example("annex2-agreement")
    data["representative"]["name"] = "陳𡘙𠀀明😀"
    validate_input("annex2-agreement", data)


def test_manager_and_auditor_being_one_person_is_the_agencys_rule_not_an_error(example):
    from forms_service.forms import get_form
    from forms_service.forms.policies import Policy

    data = example("annex3-requirements")
    data["roles"]["auditor"] = dict(data["roles"]["manager"])
    form = validate_input("annex3-requirements", data)[1]  # a one-person IT unit can file it
    [finding] = get_form("annex3-requirements").policy_checks(form, Policy())
    assert finding.rule == "manager_not_auditor" and finding.problem.path == "roles.auditor"


def test_every_standard_audit_item_must_be_answered_once(example):
    data = example("annex4-audit-checklist")
    last = len(data["items"]) - 1
    data["items"] = data["items"][:-1] + [dict(data["items"][0])]
    found = paths("annex4-audit-checklist", data)
    assert f"items[{last}].id" in found and str(last + 1) in found["items"]


def test_a_nonconform_answer_needs_a_note(example):
    data = example("annex4-audit-checklist")
    data["items"][0] = {"id": 1, "result": "nonconform", "note": "  "}
    assert "items[0].note" in paths("annex4-audit-checklist", data)


def test_the_period_of_use_has_a_maximum_only_when_the_provider_sets_one(example):
    from forms_service.forms import get_form
    from forms_service.forms.policies import Policy

    data = example("annex1-interface")
    data["period"] = {"start": "115/01/01", "end": "118/06/30"}
    form = validate_input("annex1-interface", data)[1]  # the regulation sets no maximum
    spec = get_form("annex1-interface")
    assert spec.policy_checks(form, Policy()) == []
    [finding] = spec.policy_checks(form, Policy(max_use_years=3))
    assert finding.rule == "max_use_years" and "118/01/01" in finding.problem.message


@pytest.mark.parametrize("ip", ["300.1.1.1", "192.0.2.1/33", "192.0.2.1/24", "example.com"])
def test_bad_ip_addresses_and_networks_are_named(example, ip):
    data = example("annex1-interface")
    data["security"]["source_ips"] = ["192.0.2.0/28", ip]
    assert "security.source_ips[1]" in paths("annex1-interface", data)


def test_ipv6_addresses_and_networks_are_accepted_and_normalised(example):
    data = example("annex1-interface")
    data["security"]["source_ips"] = ["2001:DB8:0:0::/48", "2001:db8:0:0::1"]
    _, form = validate_input("annex1-interface", data)
    assert form.security.source_ips == ["2001:db8::/48", "2001:db8::1"]


def test_the_copy_form_keeps_its_json_name_copy_in_errors_and_records(example):
    data = example("annex1-copy")
    data["copy"]["return_or_destroy_by"] = "114/01/01"
    assert "copy.return_or_destroy_by" in paths("annex1-copy", data)
    _, form = validate_input("annex1-copy", example("annex1-copy"))
    assert "copy" in form.model_dump(by_alias=True)
    assert "copy" in get_form("annex1-copy").json_schema()["properties"]


def test_an_application_needs_at_least_one_user_and_data_item(example):
    data = example("annex1-interface")
    data["users"] = []
    data["data_items"] = []
    assert {"users", "data_items"} <= set(paths("annex1-interface", data))
