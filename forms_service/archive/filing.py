"""Who may file a form for which agency: the rule checked before a form is produced and again
when it is stored.

Agencies are identified by 機關代碼 only — a name is free text, and a form naming the caller's
code as its *name* must not land in another agency's archive.  Staff (and the data provider) file
for their own agency's code; an administrator for any; roles that only read file nothing.
"""

from __future__ import annotations

from ..access import Actor, Role
from ..errors import FieldProblem, Forbidden
from ..forms import FormSpec
from ..forms.types import FormModel

READ_ONLY = (Role.CLERK, Role.AUDITOR)


def may_file_for(actor: Actor, agency: str) -> bool:
    """Whether ``actor`` may file (and so withdraw what is being filed) for the agency ``agency``."""
    if actor.role in READ_ONLY:
        return False
    return actor.role is Role.ADMIN or (bool(agency) and agency == actor.agency)


def check_may_file(actor: Actor, spec: FormSpec, form: FormModel) -> None:
    """Raise ``Forbidden`` naming the owner's code field unless ``actor`` may file this form."""
    if actor.role in READ_ONLY:
        raise Forbidden(f"the role {actor.role} only reads records; it cannot file forms")
    if actor.role is Role.ADMIN:
        return
    owner = spec.owner(form)
    if owner.code != actor.agency:
        field = f"{spec.owner_field}.code"
        given = f"for {owner.code}" if owner.code else "without the owner's 機關代碼"
        problem = FieldProblem(field, f"your credentials are for agency {actor.agency}; this form is {given}",
                               "not_your_agency")
        raise Forbidden(f"{spec.form_id}: {problem.path}: {problem.message}", details={"errors": [problem.as_dict()]})
