"""The query-log duty's steps as the web layer runs them, for the API and the pages alike: close a
finished month (seal it), and sign a closed month off as its 附件5."""

from __future__ import annotations

from typing import Any

from ..access import Actor, Role
from ..archive.filing import check_may_file
from ..archive.related import check_related
from ..catalog import QueryMonth
from ..errors import Forbidden, InputError
from ..querylog.close import close_month, register_input
from ..querylog.month import MonthOfQueries, month_of_queries, thresholds_from
from .auth import source_ip
from .context import catalog, components


def month(agency: str, system: str, month_: str) -> MonthOfQueries:
    return month_of_queries(catalog(), catalog(), agency=agency, system=system, month=month_,
                            thresholds=thresholds_from(components().settings))


def close(actor: Actor, agency: str, system: str, month_: str) -> QueryMonth:
    if actor.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("a month is closed by the agency's staff or an administrator")
    service = components()
    return close_month(catalog(), service.require_archive()[0], sign=service.sign_detached,
                       lock_mode=service.settings.lock_mode, retention_years=service.settings.retention_years_logs,
                       clock=service.clock, agency=agency, system=system, month=month_, actor=actor,
                       audit=catalog().audit)


def sign_off(actor: Actor, agency: str, system: str, month_: str, review: dict[str, Any]) -> tuple[str, int]:
    """The closed month's 附件5, signed and archived: (record id, entries)."""
    if catalog().query_month(agency=agency, system=system, month=month_) is None:
        raise InputError(f"close the month {month_} first: its events must be sealed before review")
    service = components()
    profile = catalog().agency_profile(agency)
    unit_name = profile.data.get("name", "") if profile else ""
    data = register_input(catalog(), catalog(), agency=agency, unit_name=unit_name, system=system, month=month_,
                          review=review, thresholds=thresholds_from(service.settings))
    spec, form = service.producer.validate("annex5-query-log", data)
    check_may_file(actor, spec, form)
    check_related(catalog(), spec, form, agency=None if actor.role is Role.ADMIN else actor.agency)
    produced = service.producer.produce_validated(spec, form, caller=actor.agency or actor.id)
    stored = service.archive.submit(produced, actor, source_ip=source_ip())
    catalog().set_query_month_record(agency=agency, system=system, month=month_, record_id=stored.record_id)
    return stored.record_id, len(data["entries"])
