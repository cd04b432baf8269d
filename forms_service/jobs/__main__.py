"""``python -m forms_service.jobs``: run jobs in the foreground (as ``forms-service jobs run``)."""

from __future__ import annotations

from ..observe.console import quiet_console
from ..settings import Settings
from .process import run_consumer

if __name__ == "__main__":
    quiet_console()
    run_consumer(Settings.load())
