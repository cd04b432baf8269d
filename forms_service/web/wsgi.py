"""The WSGI application for production servers: ``gunicorn -c python:forms_service.web.gunicorn_conf``.

Each worker process starts its own components (LibreOffice workers, signer, catalog connection)
from FORMS_* settings and seals finished audit days in the background, as ``serve`` does.
"""

from __future__ import annotations

import atexit

from ..audit_seal import DailySealer
from ..components import start_components
from ..settings import Settings
from . import create_app

settings = Settings.load()
components = start_components(settings)
sealer = DailySealer(components).start()
atexit.register(components.close)
atexit.register(sealer.stop)
app = create_app(settings, components=components)
