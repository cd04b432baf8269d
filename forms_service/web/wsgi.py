"""The WSGI application for production servers: ``gunicorn -c python:forms_service.web.gunicorn_conf``.

Each worker process starts its own components (LibreOffice workers, signer, catalog connection)
from FORMS_* settings, and in the background seals finished audit days and closes months of query
events that are due (FORMS_QUERY_LOG_CLOSE_DAYS), as ``serve`` does.
"""

from __future__ import annotations

import atexit
import logging
import os
from typing import Any

from ..audit.seals import daily_sealer
from ..clock import Periodic
from ..components import start_components
from ..settings import Settings
from . import create_app

settings = Settings.load()
components = start_components(settings)
sealer = daily_sealer(components.sealer).start()
closer = Periodic("query-month-closer", components.close_due_query_months,
                  done=lambda month: f"closed {month.agency} / {month.system} / {month.month}: {month.count} events",
                  ).start()


def _remind() -> list[Any]:
    sent = components.send_due_reminders()  # also recovers interrupted incident reports, mail or not
    return [sent] if components.mailer is not None else []


reminders = Periodic("due-reminders", _remind,
                     done=lambda sent: "before the reminder hour" if sent is None else
                     f"reminders sent to {len(sent.sent)}, failed {len(sent.failed)}, without e-mail "
                     f"{len(sent.no_address)}").start()
atexit.register(components.close)
atexit.register(reminders.stop)
atexit.register(sealer.stop)
atexit.register(closer.stop)
app = create_app(settings, components=components)
# gunicorn's own log: operators (and the tests) see when a worker can serve.
logging.getLogger("gunicorn.error").info("Forms Service ready in worker %d", os.getpid())
