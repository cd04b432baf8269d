"""Who may file a form for which agency: the rule checked before a form is produced and again
when it is stored.

Agencies are identified by 機關代碼 only — a name is free text, and a form naming the caller's
code as its *name* must not land in another agency's archive.  Staff (and the data provider) file
for their own agency's code; an administrator for any; roles that only read file nothing.
"""

from __future__ import annotations

from ..access import Actor
from ..access.policy import Action, Scope, require, scope_of
from ..errors import Forbidden
from ..forms import FormSpec
from ..forms.types import FormModel
from ..messages import problem


def may_file_for(actor: Actor, agency: str) -> bool:
    """Whether ``actor`` may file (and so withdraw what is being filed) for the agency ``agency``."""
    scope = scope_of(actor, Action.FILE_FORMS)
    return scope is Scope.EVERY or (scope is Scope.OWN and bool(agency) and agency == actor.agency)


def check_may_file(actor: Actor, spec: FormSpec, form: FormModel) -> None:
    """Raise ``Forbidden`` naming the owner's code field unless ``actor`` may file this form."""
    if require(actor, Action.FILE_FORMS) is Scope.EVERY:
        return
    owner = spec.owner(form)
    if owner.code != actor.agency:
        found = problem(f"{spec.owner_field}.code", "not_your_agency", agency=actor.agency)
        raise Forbidden(found.message, details={"errors": [found.as_dict()]})
