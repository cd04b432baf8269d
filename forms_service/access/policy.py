"""Who may do what, for whom: one table of role × action × scope, consulted by the API, the pages and
the services the CLI calls.

A role may take an action for its own agency (``OWN``), for every agency (``EVERY``: the data
provider and administrators), or only for himself (``HIMSELF``: a 查調者's own queries); a role the
table does not name for an action is refused it, with the action's sentence.  The table says who may
*try*: the service doing the action still checks what only it can know — that the record is of the
actor's agency, that it is this person's turn to sign, that he is the system's assigned 查核人員.

``web/permissions.py`` names the action of every route; ``tests/test_permissions.py`` calls every
route as every role and holds each answer to this table.  ``docs/security.md`` prints it.
"""

from __future__ import annotations

from enum import StrEnum

from ..errors import Forbidden
from .roles import Actor, Role


class Action(StrEnum):
    """What a caller asks to do.  The values name the actions in the audit log and the docs."""

    USE_SERVICE = "use-service"                  # the lists every person of the service sees (forms, schemas)
    READ_RECORDS = "read-records"                # search, read, download, verify, export evidence
    FILE_FORMS = "file-forms"                    # fill, file, save drafts, send and cancel batches
    FILE_FOR_AGENCIES = "file-for-agencies"      # the provider's records under an agency's code
    SIGN_DOCUMENTS = "sign-documents"            # sign or return in one's turn (the turn checked by signing)
    SEE_DUE = "see-due"                          # the due list
    READ_BATCHES = "read-batches"
    READ_CONNECTIONS = "read-connections"
    ACKNOWLEDGE_CONNECTIONS = "acknowledge-connections"
    STOP_CONNECTIONS = "stop-connections"        # the provider ends a connection (規範六(一)2(4))
    READ_QUERY_LOGS = "read-query-logs"          # the monthly check's pages and registers
    CLOSE_QUERY_MONTHS = "close-query-months"
    REVIEW_QUERY_LOGS = "review-query-logs"      # the system's assigned 查核人員 (checked by the review)
    POST_QUERY_EVENTS = "post-query-events"      # a business system's events
    ANSWER_OWN_QUERIES = "answer-own-queries"    # a 查調者 explains his own queries
    COUNTERSIGN = "countersign"                  # the provider's review and signature of 附件2
    READ_INSPECTIONS = "read-inspections"
    SCHEDULE_AUDITS = "schedule-audits"          # the provider's audits, results and findings (規範七)
    ANSWER_AUDITS = "answer-audits"              # the audited agency's self-assessment and replies
    READ_INCIDENTS = "read-incidents"
    ACKNOWLEDGE_INCIDENTS = "acknowledge-incidents"
    HOLD_AND_RETAIN = "hold-and-retain"          # legal holds, longer retention
    DISPOSE = "dispose"                          # request and approve destruction past retention
    MANAGE_ACCESS = "manage-access"              # people, tokens, agencies' profiles, keys, 查核人員


class Scope(StrEnum):
    OWN = "own agency"
    EVERY = "every agency"
    HIMSELF = "himself"


_PEOPLE = (Role.STAFF, Role.CLERK, Role.AUDITOR)
OWN, EVERY, HIMSELF = Scope.OWN, Scope.EVERY, Scope.HIMSELF

TABLE: dict[Action, dict[Role, Scope]] = {
    Action.USE_SERVICE: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.READ_RECORDS: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.FILE_FORMS: {Role.STAFF: OWN, Role.PROVIDER: OWN, Role.ADMIN: EVERY},
    Action.FILE_FOR_AGENCIES: {Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.SIGN_DOCUMENTS: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.SEE_DUE: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.READ_BATCHES: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.READ_CONNECTIONS: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.ACKNOWLEDGE_CONNECTIONS: {Role.STAFF: OWN, Role.ADMIN: EVERY},
    Action.STOP_CONNECTIONS: {Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.READ_QUERY_LOGS: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.CLOSE_QUERY_MONTHS: {Role.STAFF: OWN, Role.AUDITOR: OWN, Role.ADMIN: EVERY},
    Action.REVIEW_QUERY_LOGS: {**dict.fromkeys(_PEOPLE, OWN), Role.ADMIN: EVERY},
    Action.POST_QUERY_EVENTS: {Role.SYSTEM: OWN},
    Action.ANSWER_OWN_QUERIES: {**dict.fromkeys(_PEOPLE, HIMSELF), Role.QUERIER: HIMSELF},
    Action.COUNTERSIGN: {Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.READ_INSPECTIONS: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.SCHEDULE_AUDITS: {Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.ANSWER_AUDITS: {Role.STAFF: OWN, Role.ADMIN: EVERY},
    Action.READ_INCIDENTS: {**dict.fromkeys(_PEOPLE, OWN), Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.ACKNOWLEDGE_INCIDENTS: {Role.PROVIDER: EVERY, Role.ADMIN: EVERY},
    Action.HOLD_AND_RETAIN: {Role.ADMIN: EVERY},
    Action.DISPOSE: {Role.ADMIN: EVERY},
    Action.MANAGE_ACCESS: {Role.ADMIN: EVERY},
}

# What a refused person reads: who may do it instead.
REFUSALS: dict[Action, str] = {
    Action.USE_SERVICE: "您的帳號只能使用為其設定的功能",
    Action.READ_RECORDS: "您的帳號不能查閱紀錄；如需查閱，請洽系統管理者",
    Action.FILE_FORMS: "您的帳號只能查閱紀錄，不能填送表單；如需填送，請洽系統管理者",
    Action.FILE_FOR_AGENCIES: "只有資料提供機關可以替機關填送此紀錄",
    Action.SIGN_DOCUMENTS: "您的帳號不能簽章；簽章由各欄的簽署人本人為之",
    Action.SEE_DUE: "您的帳號沒有待辦事項",
    Action.READ_BATCHES: "您的帳號無法檢視批次",
    Action.READ_CONNECTIONS: "您的帳號無法檢視介接案",
    Action.ACKNOWLEDGE_CONNECTIONS: "只有此介接案的資料使用單位承辦人可以確認此介接案",
    Action.STOP_CONNECTIONS: "連線由資料提供機關終止；機關請以附件1 申請終止",
    Action.READ_QUERY_LOGS: "您的帳號不辦理查詢紀錄查核",
    Action.CLOSE_QUERY_MONTHS: "月份由本機關承辦人、查核人員或系統管理者結束",
    Action.REVIEW_QUERY_LOGS: "查詢紀錄由系統管理者指派的查核人員查核",
    Action.POST_QUERY_EVENTS: "查詢事件須以業務系統的憑證傳送",
    Action.ANSWER_OWN_QUERIES: "查調者說明由查詢的人員本人填寫；您的帳號沒有要說明的查詢",
    Action.COUNTERSIGN: "只有資料提供機關可會簽或退回約定書",
    Action.READ_INSPECTIONS: "您的帳號無法檢視稽核",
    Action.SCHEDULE_AUDITS: "稽核、查核結果及缺失由資料提供機關的稽核小組辦理（規範七）",
    Action.ANSWER_AUDITS: "受查機關的承辦人填寫查核紀錄表的自評欄及函復缺失（規範七(四)2）",
    Action.READ_INCIDENTS: "您的帳號無法檢視資安事件通報",
    Action.ACKNOWLEDGE_INCIDENTS: "資安事件通報由資料提供機關確認收受",
    Action.HOLD_AND_RETAIN: "只有系統管理者可設定法律保全或延長保存期限",
    Action.DISPOSE: "只有系統管理者可申請或核准銷毀",
    Action.MANAGE_ACCESS: "只有系統管理者可維護機關資料、帳號、權杖與簽章金鑰",
}

# Besides the table: what a business system's token and a 查調者 may do, said plainly when refused.
_ONLY = {Role.SYSTEM: "業務系統的憑證只能傳送查詢事件", Role.QUERIER: "查調者只能檢視並說明自己的查詢"}


def scope_of(actor: Actor, action: Action) -> Scope | None:
    """The scope ``actor`` may take ``action`` in, or None: refused."""
    return TABLE[action].get(actor.role)


def may(actor: Actor, action: Action) -> bool:
    return scope_of(actor, action) is not None


def require(actor: Actor, action: Action, refusal: str = "") -> Scope:
    """The scope ``actor`` may take ``action`` in; ``Forbidden`` (with ``refusal`` or the action's
    sentence) when the table names none."""
    found = scope_of(actor, action)
    if found is None:
        raise Forbidden(refusal or _ONLY.get(actor.role) or REFUSALS[action], details={"action": action.value})
    return found


def table_markdown() -> str:
    """The table as ``docs/security.md`` prints it (a test keeps the two the same)."""
    roles = list(Role)
    lines = ["| action | " + " | ".join(r.value for r in roles) + " |", "|---|" + "---|" * len(roles)]
    for action in Action:
        cells = [_mark(TABLE[action].get(role)) for role in roles]
        lines.append(f"| `{action.value}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _mark(scope: Scope | None) -> str:
    return {Scope.OWN: "own", Scope.EVERY: "every", Scope.HIMSELF: "himself"}[scope] if scope else "—"
