"""The due list as a page: what the agency still owes — months of queries to sign off, explanations
asked for, systems that went quiet — overdue first (the provider and administrators: every agency,
or one by ``?agency=``).  The same items as ``GET /api/v1/due`` and ``forms-service due``."""

from __future__ import annotations

from flask import render_template, request

from ...access.policy import Action, require
from ...errors import InputError
from ...notify.reminders import KIND_NAMES
from ...taiwan import TAIPEI, is_valid_agency_code, normalize_agency_code
from ..context import components
from . import bp, signed_in


@bp.get("/due")
def due() -> str:
    actor = signed_in()
    require(actor, Action.SEE_DUE)
    agency: str | None = actor.agency
    if actor.sees_all_agencies:
        agency = normalize_agency_code(request.args.get("agency", "")) or None
        if agency and not is_valid_agency_code(agency):
            raise InputError(f"機關代碼 {agency} 格式不符 (not an agency code)", details={"field": "agency"})
    service = components()
    items = service.due_items(agency=agency)
    today = service.clock.now().astimezone(TAIPEI).date()
    return render_template("due.html", items=items, today=today, agency=agency, kind_names=KIND_NAMES)
