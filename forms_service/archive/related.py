"""A form that names an earlier record of its connection (``related_record``) is checked against it
before anything is produced: the record must exist, be visible to the filer's agency, be the
connection's 附件1, and agree with the form (``forms.connection``).  A 終止 is the connection's
applicant's (or the data provider's) to file, and takes effect no earlier than the day it is filed
unless the provider files it.  Each problem is a field error (422 / exit 2), never a half-made record.
"""

from __future__ import annotations

from datetime import date

from ..access import Actor
from ..catalog import Record, RecordCatalog
from ..errors import FieldProblem, ValidationFailed
from ..forms import FormSpec
from ..forms.connection import related_problems
from ..forms.types import FormModel
from ..messages import problem
from ..taiwan import TAIPEI, format_roc_long, format_roc_short


def check_related(records: RecordCatalog, spec: FormSpec, form: FormModel, *, actor: Actor, today: date) -> None:
    """Raise ``ValidationFailed`` unless ``form``'s ``related_record`` (if any) is its agreeing 附件1.

    A record is visible to an agency that filed it or is its 資料使用單位 (the data provider and
    administrators see every agency's); one that is not is reported exactly like one that does not
    exist.  ``today``: the filing day (Taipei), which a 終止 may not precede unless the provider files it.
    """
    record_id = getattr(form, "related_record", None)
    if not record_id:
        return
    record = _visible(records, record_id, actor)
    if record is None:
        raise ValidationFailed([problem("related_record", "unknown_record")], form_id=spec.form_id)
    data = form.model_dump(mode="json", by_alias=True)
    problems = related_problems(spec.form_id, data, record.form_id, record.input or {})
    problems += termination_problems(data, record.input or {}, actor=actor, today=today)
    if problems:
        raise ValidationFailed(problems, form_id=spec.form_id)


def _visible(records: RecordCatalog, record_id: str, actor: Actor) -> Record | None:
    record = records.get_record(record_id)
    if record is not None and not actor.sees_all_agencies:
        user_unit_code = ((record.input or {}).get("user_unit") or {}).get("code")
        if actor.agency not in (record.agency_code, user_unit_code):
            return None
    return record


def describe(records: RecordCatalog, form: FormModel, *, actor: Actor) -> str:
    """What the record ``form`` names is, as its signed document prints it beside the id: the record's
    title and the day it was filed (民國, Taipei) — ``""`` when it names none or none ``actor`` may
    see (a document only says of a record what its filer could read)."""
    record_id = getattr(form, "related_record", None)
    record = _visible(records, record_id, actor) if record_id else None
    if record is None:
        return ""
    return f"{record.title}，{format_roc_long(record.created_at.astimezone(TAIPEI).date())}歸檔"


def termination_problems(data: dict, related: dict, *, actor: Actor, today: date) -> list[FieldProblem]:
    """A 終止 附件1 is filed by the connection's 申請介接單位 (or the data provider), effective no
    earlier than its filing day — a backdated end would refuse the 資料使用單位's queries after the
    fact — unless the provider (or an administrator for it) files it."""
    if data.get("application_type") != "termination" or actor.sees_all_agencies:
        return []
    problems = []
    applicant = (related.get("applicant") or {}).get("code", "")
    if applicant and actor.agency != applicant:
        problems.append(problem("applicant.code", "not_the_applicant",
                                applicant=(related.get("applicant") or {}).get("name") or applicant))
    effective = (data.get("termination") or {}).get("effective_on")
    if effective and date.fromisoformat(effective) < today:
        problems.append(problem("termination.effective_on", "backdated", today=format_roc_short(today)))
    return problems
