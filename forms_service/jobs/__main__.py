"""``python -m forms_service.jobs``: the jobs process (see ``process.py``)."""

from __future__ import annotations

import logging
import sys

from ..settings import Settings
from .process import run_consumer

if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run_consumer(Settings.load(), exit_with_parent="--exit-with-parent" in sys.argv[1:])
