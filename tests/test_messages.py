"""What a person reads when a form is refused: the catalogue's plain-Chinese sentence for every rule
(``forms_service/messages.py``), every rule of the form in one pass, and input taken as typed
(full-width digits, 民國 date-times)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from forms_service.errors import ValidationFailed
from forms_service.forms import get_form
from forms_service.messages import FIELD_KINDS, RULES, SENTENCES, sentence
from tests.conftest import load_example

ROOT = Path(__file__).resolve().parent.parent / "forms_service"
# Words a sentence may carry in Latin letters: the names of the protections the regulation itself
# names (IP 限制、VPN 傳輸、TLS 加密), and a character's code point.
ALLOWED_LATIN = {"IP", "VPN", "TLS", "U"}


def _codes_used() -> set[tuple[str, str]]:
    """(file, code) of every literal code the source words through the catalogue."""
    used = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            args = list(node.args)
            if name == "problem" and len(args) >= 2:
                args = args[1:2]
            elif name in ("refusal", "of", "sentence") and args:
                args = args[:1]
            else:
                continue
            words = [k.value for k in node.keywords if k.arg == "worded_as"]
            for arg in [*args, *words]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    used.add((path.name, arg.value))
    return used


def test_every_code_the_rules_use_has_its_sentence():
    used = _codes_used()
    assert len(used) > 60  # the scan sees the rules (a scan that finds nothing would pass anything)
    assert sorted(f"{file}: {code}" for file, code in used if code not in SENTENCES) == []


def test_the_scan_would_catch_a_code_without_a_sentence(tmp_path, monkeypatch):
    module = tmp_path / "forms_service"
    module.mkdir()
    (module / "rule.py").write_text('problem("x", "no_such_rule_code")\n', encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.ROOT", module)
    assert ("rule.py", "no_such_rule_code") in _codes_used()
    assert "no_such_rule_code" not in SENTENCES


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_every_sentence_is_plain_chinese(code):
    text = SENTENCES[code]
    # Examples of a format are codes, not words: 379000000A, A123456789, name@example.gov.tw.
    without_examples = re.sub(r"[A-Za-z0-9.]*(?:[0-9]|@)[A-Za-z0-9.@]*", "", text)
    latin = set(re.findall(r"[A-Za-z]+", re.sub(r"\{[a-z_]+\}", "", without_examples)))
    assert latin <= ALLOWED_LATIN, latin
    assert re.search(r"[\u4e00-\u9fff]", text)
    assert not re.search(r"\w+\.\w+\[|\w+\[\d+\]|[\^$]\(|\\d", text)  # no JSON path, no regex


def test_kinds_and_rules_do_not_overlap_and_a_missing_parameter_still_reads():
    assert set(FIELD_KINDS).isdisjoint(RULES)
    assert sentence("string_too_long") == "內容過長"  # {max_length} not given: the sentence up to it
    assert sentence("no_such_code") == SENTENCES["invalid"]


def _problems(form_id: str, data: dict) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        get_form(form_id).validate(data)
    return {p.path: p.message for p in caught.value.problems}


def test_field_errors_and_rules_across_fields_come_in_one_pass():
    """A bad field and a broken rule over other, valid fields: both at once, so fixing the first
    does not reveal the second."""
    data = load_example("annex4-audit-checklist")
    data["user_unit"]["code"] = "379"  # a field error
    data["items"][5]["result"] = "nonconform"  # a rule across fields: a 不符合 needs a finding
    data["findings"] = []
    found = _problems("annex4-audit-checklist", data)
    assert "user_unit.code" in found and "不是機關代碼" in found["user_unit.code"]
    assert "第 6 項為「不符合」" in found["items[5].result"]


def test_a_rule_over_a_field_in_error_waits_for_that_field():
    data = load_example("annex5-query-log")
    data["month"] = "115/13"  # the month is wrong: whether entries fall inside it cannot be judged yet
    found = _problems("annex5-query-log", data)
    assert list(found) == ["month"] and "月份須在 1 至 12 之間" in found["month"]


def test_a_rule_waiting_for_a_field_does_not_silence_the_others():
    """The audit day missing: the rule on dates waits for it, the rule on a 不符合's note still speaks."""
    data = load_example("annex4-audit-checklist")
    del data["audit_date"]
    data["items"][5]["result"] = "nonconform"
    data["items"][5]["note"] = ""
    found = _problems("annex4-audit-checklist", data)
    assert "audit_date" in found
    assert "不符合" in found["items[5].note"]


def test_pydantic_kinds_are_worded_with_their_limits():
    data = load_example("annex3-requirements")
    data["account_idle_days"] = 400
    data["system_name"] = "查" * 400
    found = _problems("annex3-requirements", data)
    assert found["account_idle_days"] == "數值不可大於 365"
    assert found["system_name"] == "內容過長：最多 300 字，請刪減"


def test_a_register_takes_the_date_and_time_as_people_write_them():
    data = load_example("annex5-query-log")
    data["entries"][0]["at"] = "115/11/03 09:15"
    data["entries"][1]["at"] = "民國115年11月4日 14:05:30"
    form = get_form("annex5-query-log").validate(data)
    assert form.entries[0].at.isoformat() == "2026-11-03T09:15:00+08:00"
    assert form.entries[1].at.isoformat() == "2026-11-04T14:05:30+08:00"
    data["entries"][0]["at"] = "115/11/03 下午"
    assert "請依 115/11/03 09:15 的方式填寫" in _problems("annex5-query-log", data)["entries[0].at"]


def test_full_width_digits_in_a_number_field_are_the_number():
    from werkzeug.datastructures import MultiDict

    from forms_service.web.pages.fields import parse

    schema = get_form("annex3-requirements").json_schema()
    assert parse(schema, MultiDict({"account_idle_days": "９０"}))["account_idle_days"] == 90


def test_filing_reports_the_forms_rules_and_the_connections_together(client, catalog):
    """The 附件5's own rule (an entry outside its month) and its connection's (a querier the 附件1
    does not name, passed as 無異常) in one refusal, each beside its field."""
    from forms_service.access.tokens import create_token

    applicant = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    unit = {"Authorization": f"Bearer {create_token(catalog, agency='379010000A', role='staff')}"}
    root = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                       headers=applicant).json["record_id"]
    data = {**load_example("annex5-query-log"), "related_record": root}
    data["entries"][2]["at"] = "2026-12-01T00:00:00"
    data["entries"][3]["user"] = {"name": "李小華", "account": "tp-lee"}
    refused = client.post("/api/v1/forms/annex5-query-log/records", json=data, headers=unit)
    assert refused.status_code == 422
    found = {e["path"]: e["message"] for e in refused.json["error"]["errors"]}
    assert "此筆查詢的時間不在 115年11月 內" in found["entries[2].at"]
    assert "李小華（tp-lee） 不在介接案附件1 所列的使用者之中" in found["entries[3].user"]


def test_a_field_in_error_is_not_taken_as_its_default_by_the_rules():
    """附件4's findings with a bad date: the rule "a 不符合 needs a finding" must not read them as none."""
    data = load_example("annex4-audit-checklist")
    nonconform = next(i for i, item in enumerate(data["items"]) if item["result"] == "nonconform")
    data["findings"][0]["due"] = "115/13/01"
    found = _problems("annex4-audit-checklist", data)
    assert "findings[0].due" in found
    assert f"items[{nonconform}].result" not in found
