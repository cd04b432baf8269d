"""Pages for the monthly query check (規範 六(四)2): a month of a system's queries with the flagged
ones first, closing the month, and the 查核人員's sign-off into the month's 附件5.

The page shows the same month, flags and errors as ``/api/v1/query-logs``; the steps are the API's
own (``querylog/duty.py``).  A sign-off refused (the reviewer queried that month, a 無異常 that
passes an unapproved querier, …) comes back on the page with the reasons in a summary.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ...access import Actor, Role
from ...access.policy import Action, require
from ...errors import FieldProblem, InputError
from ...forms import get_form
from ...querylog import review as reviewing
from ...querylog.anomalies import KIND_NAMES
from ...querylog.duty import QueryLogDuty
from ...querylog.month import MonthOfQueries
from ...querylog.review import DECIDED, STATE_NAMES, VERDICTS
from ...taiwan import TAIPEI, InvalidValue, format_roc_short, normalize_agency_code, parse_month
from ..auth import source_ip
from ..context import catalog, components
from . import bp, signed_in
from .fields import message, path_label


def _duty() -> QueryLogDuty:
    return components().query_log_duty


def _agency(actor: Actor) -> str:
    require(actor, Action.READ_QUERY_LOGS)
    agency = normalize_agency_code(request.values.get("agency", "")) if actor.sees_all_agencies else actor.agency
    if not agency:
        raise InputError("請指定機關代碼")
    return agency


@bp.get("/query-logs")
def query_logs() -> Response | str:
    actor = signed_in()
    require(actor, Action.READ_QUERY_LOGS)
    system, month = request.args.get("system", "").strip(), request.args.get("month", "").strip()
    if month:
        try:
            month = parse_month(month)  # 115/11 as people write it
        except InvalidValue as err:
            raise InputError(str(err), details={"field": "month"}) from None
    if system and month:
        agency_arg: dict[str, Any] = {"agency": request.args["agency"]} if request.args.get("agency") else {}
        return redirect(url_for("ui.query_log", system=system, month=month, **agency_arg))
    agency = actor.agency if not actor.sees_all_agencies else None
    assignments = catalog().query_reviewers(agency=agency) if agency else catalog().query_reviewers()
    now = components().clock.now().astimezone(TAIPEI)
    last_month = now.replace(day=1) - timedelta(days=1)
    return render_template("query_logs.html", assignments=assignments, last_month=f"{last_month:%Y-%m}")


def _page(actor: Actor, agency: str, system: str, month: str, *, found: MonthOfQueries | None = None,
          **extra: Any) -> dict[str, Any]:
    found = found or _duty().month(agency, system, month)
    term = request.args.get("q", "").strip()
    show = request.args.get("show", "").strip()
    flags = reviewing.reviewed_flags(catalog(), found)
    flags_by_event: dict[str, list[str]] = {}
    kinds_by_event: dict[str, set[str]] = {}
    for flag in found.flags:
        flags_by_event.setdefault(flag.event_id, []).append(f"{KIND_NAMES[flag.kind]}：{flag.sentence}")
        kinds_by_event.setdefault(flag.event_id, set()).add(flag.kind)
    rows = [{"id": e.event_id, "at": e.at, "data": e.data, "flags": flags_by_event.get(e.event_id, [])}
            for e in found.events]
    if term:
        rows = [r for r in rows if term in str(r["data"])]
    if show == "flagged":
        rows = [r for r in rows if r["flags"]]
    elif show in KIND_NAMES:
        rows = [r for r in rows if show in kinds_by_event.get(str(r["id"]), set())]
    rows.sort(key=lambda r: (not r["flags"], r["at"]))  # flagged first
    closed = catalog().query_month(agency=agency, system=system, month=month)
    assigned = catalog().query_reviewer(agency=agency, system=system)
    reviewer = catalog().user(assigned.username) if assigned else None
    is_reviewer = assigned is not None and actor.id == f"user:{assigned.username}"
    return {"agency": agency, "system": system, "month": month, "found": found, "rows": rows[:1000],
            "shown": min(len(rows), 1000), "matching": len(rows), "q": term, "show": show,
            "flagged": len(flags_by_event), "flags": flags, "undecided": sum(f.state not in DECIDED for f in flags),
            "closed": closed, "may_close": actor.role in (Role.STAFF, Role.AUDITOR, Role.ADMIN),
            "reviewer": reviewer, "is_reviewer": is_reviewer, "kind_names": KIND_NAMES, "state_names": STATE_NAMES,
            "reviewing": is_reviewer and closed is not None and not closed.record_id, "describe": _describe,
            "today": format_roc_short(components().clock.now().astimezone(TAIPEI).date()), **extra}


def _describe(problem: dict[str, str]) -> str:
    """A refused sign-off's problem in Chinese, with the field it names."""
    found = FieldProblem(problem.get("path", ""), problem.get("message", ""), problem.get("code", "invalid"))
    return f"{path_label(get_form('annex5-query-log').json_schema(), found.path)}：{message(found)}"


@bp.get("/query-logs/<system>/<month>")
def query_log(system: str, month: str) -> str:
    actor = signed_in()
    agency = _agency(actor)
    found = _duty().read(actor, agency, system, month, source_ip=source_ip(), via="web")
    return render_template("query_log.html", page=_page(actor, agency, system, month, found=found))


@bp.post("/query-logs/<system>/<month>")
def query_log_action(system: str, month: str) -> Response:
    actor = signed_in()
    agency = _agency(actor)
    g.query_log_page = _page(actor, agency, system, month, review_values=dict(request.form))
    g.error_page = "query_log.html"  # a refusal is shown on the month's page (web/errors.py)
    action = request.form.get("action", "")
    event_id, kind, note = (request.form.get(k, "").strip() for k in ("event_id", "kind", "note"))
    g.flag_error = (event_id, kind)  # a refused step's error is shown beside that flag's field
    if action == "close":
        _duty().close(actor, agency, system, month)
    elif action == "request":
        _duty().request_explanation(actor, agency, system, month, event_id, kind, note)
    elif action in VERDICTS:
        _duty().decide(actor, agency, system, month, event_id, kind, action, note)
    elif action == "sign-off":
        review: dict[str, Any] = {"result": request.form.get("result", ""),
                                  "explanation": request.form.get("explanation", "").strip(),
                                  "reviewer": {"title": request.form.get("reviewer_title", "").strip()},
                                  "reviewed_on": request.form.get("reviewed_on", "").strip()}
        record_id, _ = _duty().sign_off(actor, agency, system, month, review, source_ip=source_ip())
        return redirect(url_for("ui.record", record_id=record_id), code=303)
    else:
        raise InputError("請選擇動作 (choose an action)")
    agency_arg: dict[str, Any] = {"agency": agency} if actor.sees_all_agencies else {}
    return redirect(url_for("ui.query_log", system=system, month=month, **agency_arg,
                            _anchor=f"flag-{event_id}-{kind}" if event_id else None), code=303)


# --- the querier's own page -------------------------------------------------------------------

@bp.get("/my-queries")
def my_queries() -> str:
    """The requests for a 查調者說明 about the signed-in person's own queries — nobody else's."""
    actor = signed_in()
    return render_template("my_queries.html", requests=_duty().my_requests(actor), kind_names=KIND_NAMES,
                           state_names=STATE_NAMES, user=reviewing.person(catalog(), actor))


@bp.post("/my-queries")
def my_query_answer() -> Response:
    actor = signed_in()
    form = request.form
    g.error_page = "my_queries.html"
    g.my_queries_page = {"requests": _duty().my_requests(actor), "kind_names": KIND_NAMES, "state_names": STATE_NAMES,
                         "user": reviewing.person(catalog(), actor), "answering": (form.get("event_id", ""),
                                                                                   form.get("kind", "")),
                         "values": dict(form)}
    _duty().answer(actor, actor.agency, form.get("system", ""), form.get("month", ""), form.get("event_id", ""),
                 form.get("kind", ""), form.get("answer", ""))
    return redirect(url_for("ui.my_queries", answered=1), code=303)
