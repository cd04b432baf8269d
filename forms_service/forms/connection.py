"""Checks across the forms of one connection (介接案): a form that names its 附件1 (``related_record``)
must agree with it.

規範 六(一)2(1) has the application (附件1) and the agreement (附件2) state the same 法源依據、用途、
使用單位、使用者（業務範圍）and 使用期限; the requirements (附件3) are issued by the same 申請介接單位 to
the same 資料使用單位 for the same system; the self-audit (附件4) and the monthly register (附件5) are
those of its 資料使用單位, and a month's queriers are the 使用者 the 附件1 approved.  A purge record
(清除紀錄) follows the 終止 application and repeats its 終止日期; an incident names the system's 附件1.  Each
disagreement is a problem on this form's field whose sentence names the 附件1's field.

Pure functions of two inputs: looking the earlier record up is the archive's job (``archive.related``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import Any

from ..errors import FieldProblem
from ..messages import problem
from ..taiwan import account_key, format_roc_short

APPLICATIONS = ("annex1-interface", "annex1-copy")

# (this form's field, the 附件1's field) that must hold the same value.
_PARTIES = {
    "annex1-interface": [("applicant", "applicant"), ("user_unit", "user_unit")],
    "annex1-copy": [("applicant", "applicant"), ("user_unit", "user_unit")],
    "annex2-agreement": [("party", "applicant"), ("user_unit", "user_unit")],
    "annex3-requirements": [("applicant", "applicant"), ("user_unit", "user_unit")],
    "annex4-audit-checklist": [("user_unit", "user_unit")],
    "annex5-query-log": [("user_unit", "user_unit")],
    "purge-record": [("applicant", "applicant"), ("user_unit", "user_unit")],
    "incident-report": [("user_unit", "user_unit")],
}
_SAME_VALUES = {
    "annex2-agreement": [("legal_basis", "legal_basis"), ("purpose", "purpose"), ("period.start", "period.start"),
                         ("period.end", "period.end")],
    "annex3-requirements": [("legal_basis", "legal_basis"), ("purpose", "purpose"),
                            ("system_name", "host.system_name"), ("period.start", "period.start"),
                            ("period.end", "period.end")],
    "annex5-query-log": [("system_name", "host.system_name")],
    "purge-record": [("system_name", "host.system_name"), ("terminated_on", "termination.effective_on")],
    "incident-report": [("system_name", "host.system_name")],
}


def starts_connection(form_id: str, data: dict[str, Any]) -> bool:
    """Whether a record of this input is a connection's first 附件1 (a 新申請, or a 附件1 naming no
    earlier one): its own id is then the connection's."""
    return form_id in APPLICATIONS and (data.get("application_type") == "new" or not data.get("related_record"))


def unit_and_system(data: dict[str, Any]) -> tuple[str, str]:
    """The 資料使用單位's 機關代碼 and the system a form's input names ("" where it names none)."""
    host = data.get("host") or {}
    system = host.get("system_name", "") if isinstance(host, dict) else ""
    return (str((data.get("user_unit") or {}).get("code", "") or ""),
            str(system or data.get("system_name", "") or ""))


def related_problems(form_id: str, data: dict[str, Any], related_form_id: str,
                     related: dict[str, Any]) -> list[FieldProblem]:
    """What in ``data`` (a validated input of ``form_id``, as JSON) disagrees with ``related``."""
    if related_form_id not in APPLICATIONS:
        return [problem("related_record", "not_an_application")]
    if form_id == "purge-record" and related.get("application_type") != "termination":
        return [problem("related_record", "not_a_termination")]
    if related.get("application_type") == "termination" and form_id != "purge-record":
        return [problem("related_record", "terminated")]
    problems = list(_party_problems(form_id, data, related))
    for path, related_path in _SAME_VALUES.get(form_id, []):
        mine, theirs = value_at(data, path), value_at(related, related_path)
        if mine is not None and theirs is not None and mine != theirs:
            problems.append(_differs(path, mine, related_path, theirs))
    if form_id == "annex2-agreement" and related.get("users") is not None:
        problems += _user_problems(data.get("users") or [], related["users"])
    if form_id == "annex5-query-log" and related.get("users") is not None:
        problems += _querier_problems(data, related["users"])
    return problems


def _party_problems(form_id: str, data: dict[str, Any], related: dict[str, Any]) -> Iterator[FieldProblem]:
    for path, related_path in _PARTIES.get(form_id, []):
        mine, theirs = data.get(path) or {}, related.get(related_path) or {}
        if mine.get("code") and theirs.get("code") and mine["code"] != theirs["code"]:
            yield _differs(f"{path}.code", mine["code"], f"{related_path}.code", theirs["code"])
        if mine.get("name") != theirs.get("name"):
            yield _differs(f"{path}.name", mine.get("name"), f"{related_path}.name", theirs.get("name"))


def _user_key(user: dict[str, Any]) -> tuple[str, str, str]:
    return user.get("name", ""), account_key(user.get("account", "")), user.get("business_scope", "")


def _user_problems(users: list[dict[str, Any]], approved: list[dict[str, Any]]) -> list[FieldProblem]:
    theirs = {_user_key(u) for u in approved}
    problems = [
        problem(f"users[{index}]", "differs_from_application", worded_as="user_not_approved",
                name=user.get("name", ""), scope=user.get("business_scope", ""))
        for index, user in enumerate(users) if _user_key(user) not in theirs
    ]
    mine = {_user_key(u) for u in users}
    left_out = [u.get("name", "") for u in approved if _user_key(u) not in mine]
    if left_out:
        problems.append(problem("users", "differs_from_application", worded_as="users_left_out",
                                names="、".join(left_out)))
    return problems


def _querier_problems(data: dict[str, Any], approved: list[dict[str, Any]]) -> list[FieldProblem]:
    """A query by someone the 附件1 did not approve is an anomaly; a 無異常 review cannot pass it."""
    if (data.get("review") or {}).get("result") != "normal":
        return []
    accounts = {account_key(u["account"]) for u in approved if u.get("account")}
    names = {u.get("name") for u in approved}
    problems: list[FieldProblem] = []
    reported: set[tuple[str, str]] = set()
    for index, entry in enumerate(data.get("entries") or []):
        user = entry.get("user") or {}
        key = (user.get("name", ""), user.get("account", ""))
        approved_user = account_key(user["account"]) in accounts if user.get("account") else user.get("name") in names
        if not approved_user and key not in reported:
            reported.add(key)
            problems.append(problem(f"entries[{index}].user", "unapproved_querier",
                                    name=f"{key[0]}（{key[1]}）" if key[1] else key[0]))
            if len(problems) >= 20:
                break
    return problems


def _differs(path: str, mine: Any, related_path: str, theirs: Any) -> FieldProblem:
    return problem(path, "differs_from_application", mine=_shown(mine), theirs=_shown(theirs))


def _shown(value: Any) -> str:
    """A value as a person reads it in a sentence: text as it is, a list joined, nothing as 空白."""
    if value in (None, "", [], {}):
        return "空白"
    if isinstance(value, list):
        return "、".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return "、".join(_shown(v) for v in value.values() if v not in (None, ""))
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return format_roc_short(date.fromisoformat(value))  # a date as people read it: 民國
    return str(value)


def value_at(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted path of JSON (``host.system_name``), or ``None``."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
