"""Pages for administrators: agency profiles — what each agency's new forms start with.

``/admin/agencies`` lists the profiles and opens one by 機關代碼; ``/admin/agencies/<code>`` edits it
on a page made from the profile's model (``forms/profile.py``) like the forms' own pages, with the
same errors beside their fields.  Every change is in the audit log (``agency.profile``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g, redirect, render_template, request, url_for
from pydantic import ValidationError
from werkzeug.wrappers import Response

from ...access import Actor, Role
from ...catalog import NewAuditEvent
from ...errors import FieldProblem, Forbidden, InputError, ValidationFailed
from ...forms.profile import AgencyProfile
from ...forms.spec import problems_from
from ...taiwan import is_valid_agency_code, normalize_agency_code
from ..auth import source_ip
from ..context import catalog, components
from . import bp, check_csrf, signed_in
from .fields import Group, build, parse, place_errors

SCHEMA = AgencyProfile.model_json_schema()


@dataclass
class ProfilePage:
    code: str
    values: dict[str, Any]
    saved: bool = False
    extra_rows: int = 1

    def parts(self, problems: list[dict[str, str]] | None = None) -> tuple[Group, list[tuple[str, str, str]]]:
        root = build(SCHEMA, self.values, extra_rows=self.extra_rows)
        found = [FieldProblem(p.get("path", ""), p.get("message", ""), p.get("code", "invalid"))
                 for p in problems or []]
        return root, place_errors(root, found)


def _admin() -> Actor:
    actor = signed_in()
    if actor.role is not Role.ADMIN:
        raise Forbidden(f"the role {actor.role} cannot manage agency profiles (只有系統管理者可維護機關資料)")
    return actor


def _code(text: str) -> str:
    code = normalize_agency_code(text or "")
    if not is_valid_agency_code(code):
        raise InputError(f"{text!r} 不是機關代碼 (not a 機關代碼 like 379000000A or A15000000E)")
    return code


@bp.get("/admin/agencies")
def agencies() -> Response | str:
    _admin()
    if request.args.get("code"):
        return redirect(url_for("ui.agency", code=_code(request.args["code"])))
    return render_template("agencies.html", profiles=catalog().agency_profiles())


@bp.get("/admin/agencies/<code>")
def agency(code: str) -> str:
    _admin()
    code = _code(code)
    profile = catalog().agency_profile(code)
    g.profile_page = ProfilePage(code, profile.data if profile else {}, saved=bool(request.args.get("saved")))
    return render_template("agency.html", page=g.profile_page)


@bp.post("/admin/agencies/<code>")
def save_agency(code: str) -> Response:
    check_csrf()
    actor = _admin()
    code = _code(code)
    values = parse(SCHEMA, request.form)
    given = request.form.get("extra_rows", "")
    extra = min(max(int(given) if given.isdigit() else 1, 1), 20)
    if request.form.get("action") == "add-row":
        return Response(render_template("agency.html", page=ProfilePage(code, values, extra_rows=extra + 1)))
    g.profile_page = ProfilePage(code, values, extra_rows=extra)
    g.error_page = "agency.html"  # errors are shown on the profile's own page (web/errors.py)
    try:
        profile = AgencyProfile.model_validate(values)
    except ValidationError as err:
        raise ValidationFailed(problems_from(err)) from None
    data = profile.model_dump(mode="json", exclude_defaults=True)
    catalog().set_agency_profile(code, data, by=actor.id, now=components().clock.now())
    catalog().audit(NewAuditEvent(actor=actor.id, agency=code, action="agency.profile", source_ip=source_ip(),
                                  detail={"code": code, "name": profile.name}))
    return redirect(url_for("ui.agency", code=code, saved=1), code=303)
