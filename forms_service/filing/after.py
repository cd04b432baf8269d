"""What filing a record sets going, wherever it was filed (the API, a page, a batch, a duty):

- an incident report (資通安全事件紀錄) is recorded as an incident and reported to the data provider
  at once (規範 六(六)4);
- an agency's 終止 of a connection is told to the connection's other parties.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from ..catalog import Record
from ..connections import incidents
from ..connections.parties import Notify, tell_of_termination
from ..connections.timeline import ConnectionRecords, connection
from ..forms import FormSpec
from ..forms.types import FormModel

SendToProvider = Callable[[str, str], list[str]]  # (subject, body) → the addresses that took it


class AfterCatalog(ConnectionRecords, incidents.IncidentCatalog, Protocol):
    """What the after-effects read and write."""

    def get_record(self, record_id: str, *, agency: str | None = None) -> Record | None: ...


def after_effects(catalog: AfterCatalog, *, notify: Notify, send_to_provider: SendToProvider | None,
                  provider_name: str, now: Callable[[], datetime]) -> Callable[[FormSpec, FormModel, str], None]:
    """The after-effects of filing, wired to the service's catalog and mail."""

    def after(spec: FormSpec, form: FormModel, record_id: str) -> None:
        data = form.model_dump(mode="json")
        if data.get("application_type") == "termination":
            record = catalog.get_record(record_id)
            found = connection(catalog, record.connection_id) if record is not None and record.connection_id else None
            if found is not None:
                tell_of_termination(found, effective_on=data["termination"]["effective_on"],
                                    letter=(data.get("request_letter") or {}).get("number", ""), by_provider=False,
                                    provider_name=provider_name, notify=notify)
        if spec.form_id == "incident-report":
            incident = incidents.record_incident(catalog, record_id=record_id, form=form, now=now())
            incidents.report(catalog, incident, send=send_to_provider, unit_name=str(data["user_unit"]["name"]),
                             provider_name=provider_name, now=now())

    return after
