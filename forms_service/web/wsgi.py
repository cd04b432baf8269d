"""The WSGI application for production servers: ``gunicorn -c python:forms_service.web.gunicorn_conf``.

Each worker process starts its own components (LibreOffice workers, signer, catalog connection)
from FORMS_* settings.  Background work — batches, sealing finished audit days, closing months of
query events, reminder digests, renewals — runs in whichever web process holds the instance's jobs
lock (``forms_service.jobs.process``; gunicorn's ``post_worker_init`` offers each of them).
"""

from __future__ import annotations

import atexit
import logging
import os

from ..components import start_components
from ..produce.pdf_worker import pdf_worker
from ..settings import Settings
from . import create_app

settings = Settings.load()
components = start_components(settings)
atexit.register(components.close)
pdf_worker.warm()  # every document's PDF/A check beside its signature, in a process of its own
components.lend_converter()  # a long document's chunks convert on every web process's LibreOffice
app = create_app(settings, components=components)
# operators (and the tests) see when a web process can serve
logging.getLogger(__name__).info("Forms Service ready in worker %d", os.getpid())
