"""What the service measures of itself, for Prometheus (``GET /metrics``): requests by route, the
time each production stage takes, LibreOffice restarts.

Under gunicorn the web processes are several: each writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (``<data dir>/run/metrics``, emptied when the master starts) and a
scrape adds them up.  ``prometheus_client`` is imported only here, after that variable is set.
"""

from __future__ import annotations

import os
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_folder(folder: Path) -> None:
    """An empty metrics folder for this run's processes, set before any of them imports
    ``prometheus_client`` (gunicorn's master calls it before forking the web processes)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()
    os.environ[MULTIPROC_ENV] = str(folder)
