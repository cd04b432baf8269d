"""Rules the regulation does not make, kept as the party's own settings — never as the regulation's.

Practice adds rules 「使用商工資料資通安全管理規範」 lacks: a maximum 使用期限 (the data provider's),
separation of duties (the agency's: its 查核人員 not among the month's queriers, a purge's witness
not its performer, its 查核人員 not its 管理人員).  Each is a ``Rule`` with an owner, checked by the
form it concerns (``FormSpec.policy_checks``), and its party's setting says what a breach does:

- ``off``: nothing;
- ``warn`` (the default of the agency's rules): filing goes on, the warning is shown before signing
  and kept with the record (its audit entry);
- ``refuse``: filing is refused with a sentence naming the party's setting — not the regulation.

The provider's maximum 使用期限 is a number of years (``FORMS_PROVIDER_MAX_USE_YEARS``; 0, the
default, sets none).  A ``NOTE`` is no one's rule: what the regulation leaves open but a reader
should notice (a purge dated before the 終止日期), always a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import FieldProblem
from ..messages import problem

MODES = {"off": "不檢查", "warn": "提醒（仍可送件）", "refuse": "不予送件"}
NOTE = "note"


@dataclass(frozen=True)
class Rule:
    id: str
    owner: str  # agency | provider
    label: str  # as its setting names it
    default: str = "warn"


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("reviewer_not_querier", "agency", "附件5 之查核人員不得為當月之查詢人員"),
    Rule("purge_witness_distinct", "agency", "資料清除紀錄之監督（見證）人不得為執行人"),
    Rule("manager_not_auditor", "agency", "附件3 之查核人員不得為管理人員"),
    Rule("max_use_years", "provider", "使用期限上限", default="refuse"),
)}
OWNER_NAMES = {"agency": "本機關之設定", "provider": "資料提供機關之設定"}


@dataclass(frozen=True)
class Finding:
    """A rule the form breaks (or a note): the rule's id and the problem, naming its field."""

    rule: str
    problem: FieldProblem


@dataclass(frozen=True)
class Policy:
    """The settings the checks read: the agency's modes, the provider's maximum 使用期限."""

    modes: Mapping[str, str] = field(default_factory=dict)  # rule id → off | warn | refuse
    max_use_years: int = 0  # 0: no maximum

    def mode(self, rule: str) -> str:
        if rule == NOTE:
            return "warn"
        if rule == "max_use_years":
            return "refuse" if self.max_use_years > 0 else "off"
        chosen = self.modes.get(rule, "")
        return chosen if chosen in MODES else RULES[rule].default


def sentence(finding: Finding) -> str:
    """The finding as a person reads it: whose rule, then what it says of this form."""
    rule = RULES.get(finding.rule)
    if rule is None:
        return finding.problem.message
    return f"依{OWNER_NAMES[rule.owner]}「{rule.label}」：{finding.problem.message}"


def agency_choices() -> dict[str, str]:
    """The agency's rules, as its profile's setting names them."""
    return {r.id: r.label for r in RULES.values() if r.owner == "agency"}


def use_years_findings(period: object, policy: Policy, *, path: str = "period.end") -> list[Finding]:
    """The provider's maximum 使用期限, when it set one."""
    from ..clock import add_years
    from ..taiwan import format_roc_short

    if policy.max_use_years <= 0 or period is None:
        return []
    start, end = period.start, period.end  # type: ignore[attr-defined]
    limit = add_years(start, policy.max_use_years)
    if end < limit:
        return []
    return [Finding("max_use_years", problem(path, "period_too_long", years=policy.max_use_years,
                                             before=format_roc_short(limit)))]


def agency_policy(profile_data: Mapping[str, object] | None, *, max_use_years: int = 0) -> Policy:
    """The settings of an agency (its profile's ``policies``) with the provider's maximum."""
    chosen = (profile_data or {}).get("policies")
    modes = {str(k): str(v) for k, v in chosen.items()} if isinstance(chosen, Mapping) else {}
    return Policy(modes=modes, max_use_years=max_use_years)
