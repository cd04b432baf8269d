"""A form that names an earlier record of its connection (``related_record``) is checked against it
before anything is produced: the record must exist, be visible to the filer's agency, be the
connection's 附件1, and agree with the form (``forms.connection``).  Each problem is a field error
(422 / exit 2), never a half-made record.
"""

from __future__ import annotations

from ..catalog import RecordCatalog
from ..errors import FieldProblem, ValidationFailed
from ..forms import FormSpec
from ..forms.connection import related_problems
from ..forms.types import FormModel


def check_related(records: RecordCatalog, spec: FormSpec, form: FormModel, *, agency: str | None) -> None:
    """Raise ``ValidationFailed`` unless ``form``'s ``related_record`` (if any) is its agreeing 附件1.

    ``agency``: the filer's 機關代碼 (``None``: any agency, for administrators and local operators).
    A record is visible to an agency that filed it or is its 資料使用單位; one that is not is
    reported exactly like one that does not exist.
    """
    record_id = getattr(form, "related_record", None)
    if not record_id:
        return
    record = records.get_record(record_id)
    if record is not None and agency is not None:
        user_unit_code = ((record.input or {}).get("user_unit") or {}).get("code")
        if agency not in (record.agency_code, user_unit_code):
            record = None
    if record is None:
        raise ValidationFailed([FieldProblem("related_record", f"there is no record {record_id} your agency may "
                                                               "refer to", "unknown_record")], form_id=spec.form_id)
    problems = related_problems(spec.form_id, form.model_dump(mode="json", by_alias=True), record.form_id,
                                record.input or {})
    if problems:
        raise ValidationFailed(problems, form_id=spec.form_id)
