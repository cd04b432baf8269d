"""What a console shows: the service's own lines (loggers ``forms_service``, ``signing``,
``storage``) at INFO, every library's only from WARNING — alembic's migration lines, pikepdf's
bridge line and the like appear with ``-v`` (INFO) or ``-vv`` (DEBUG), never by default.  The
deprecation warnings libraries raise when imported (cryptography's DSA notice through pyHanko) are
not the user's to act on, so they are not shown either."""

from __future__ import annotations

import logging

OWN_LOGGERS = ("forms_service", "signing", "storage")
# pyHanko logs every untrusted or unverifiable path with a traceback; our reports say it better.
UNTRUSTED_DETAIL = ("pyhanko", "pyhanko_certvalidator", "fontTools")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def hide_library_warnings() -> None:
    """Warnings libraries raise on import or use that nobody running the service can act on."""
    import warnings

    warnings.filterwarnings("ignore", message=r"DSA is deprecated", category=Warning)
    warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"(pyhanko|certomancer|asn1crypto|huey)")


def quiet_console(verbosity: int = 0, *, json_lines: bool = False) -> None:
    """The process's logging: our lines at INFO (DEBUG with ``verbosity`` ≥ 2), libraries' from
    WARNING (INFO with ``verbosity`` 1); on standard error as text, or JSON lines."""
    hide_library_warnings()
    if json_lines:
        from .logs import use_json_logs  # gunicorn's logger class: only where JSON is asked for

        use_json_logs()
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(FORMAT))
        root = logging.getLogger()
        root.handlers[:] = [handler]
    logging.getLogger().setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO if verbosity else logging.WARNING)
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.INFO)
    for name in UNTRUSTED_DETAIL:
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.ERROR)
