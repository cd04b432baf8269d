"""``python -m forms_service.jobs``: run jobs in the foreground (as ``forms-service jobs run``)."""

from __future__ import annotations

import logging

from ..settings import Settings
from .process import run_consumer

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_consumer(Settings.load())
