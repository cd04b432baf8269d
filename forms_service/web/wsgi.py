"""The WSGI application for production servers: ``gunicorn -c python:forms_service.web.gunicorn_conf``.

Each worker process starts its own components (LibreOffice workers, signer, catalog connection)
from FORMS_* settings and seals finished audit days in the background, as ``serve`` does.
"""

from __future__ import annotations

import atexit
import logging
import os

from ..audit.seals import DailySealer
from ..components import start_components
from ..settings import Settings
from . import create_app

settings = Settings.load()
components = start_components(settings)
sealer = DailySealer(components.sealer).start()
atexit.register(components.close)
atexit.register(sealer.stop)
app = create_app(settings, components=components)
# gunicorn's own log: operators (and the tests) see when a worker can serve.
logging.getLogger("gunicorn.error").info("Forms Service ready in worker %d", os.getpid())
