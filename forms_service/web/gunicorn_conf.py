"""gunicorn settings for production, from the same FORMS_* settings as ``serve`` (which runs
gunicorn with them).

    gunicorn -c python:forms_service.web.gunicorn_conf

Listens on FORMS_HOST:FORMS_PORT, over HTTPS when FORMS_TLS_CERTIFICATE and FORMS_TLS_KEY are set
(TLS 1.2 or newer).  FORMS_WEB_WORKERS processes (default: one per core) of FORMS_WEB_THREADS
threads.  The master process owns what the workers share — the embedded object store and the
demo PKI, when the settings use them — so workers can be several and be restarted without them.
Each worker gets an equal share of the LibreOffice workers unless FORMS_CONVERTER_WORKERS says
how many each should start.
"""

from __future__ import annotations

import gc
import importlib
import os
import ssl
from typing import Any

from forms_service.observe.console import hide_library_warnings

hide_library_warnings()  # before the service's modules import pyHanko

from forms_service.components import start_shared_services  # noqa: E402
from forms_service.observe import prepare_folder  # noqa: E402
from forms_service.settings import Settings  # noqa: E402

_settings = Settings.load()

wsgi_app = "forms_service.web.wsgi:app"
# The TCP address first (``serve`` reports it); then a Unix socket in the private data directory,
# where commands on this machine (``render``) reach the warm workers (forms_service/web/local.py).
LOCAL_SOCKET = _settings.data_dir.resolve() / "serve.sock"
bind = [f"{_settings.host}:{_settings.port}", f"unix:{LOCAL_SOCKET}"]
umask = 0o077  # the socket, like everything in the data directory, is the service user's alone
worker_class = "gthread"
workers = _settings.web_workers or os.cpu_count() or 2
threads = _settings.web_threads
# The machine's LibreOffice workers (FORMS_CONVERTER_WORKERS' default) shared among the web workers,
# which read the variable when they start: forked from this process, they inherit it.
os.environ.setdefault("FORMS_CONVERTER_WORKERS", str(max(1, _settings.converter_workers // workers)))
# A 附件5 of 10,000 entries takes about a minute to produce; nothing else comes close.
timeout = 180
graceful_timeout = 30
keepalive = 5
accesslog = "-"
# gunicorn's own lines (starting, listening, booting workers) only from WARNING: the service says
# what it does in lines of its own; FORMS_VERBOSE (``forms-service -v serve``) shows them all.
loglevel = "info" if os.environ.get("FORMS_VERBOSE") else "warning"
# gunicorn 25+ opens a control socket in $HOME by default: nothing outside the data directory.
control_socket_disable = True
if _settings.log_format == "json":
    logger_class = "forms_service.observe.logs.JsonAccessLogger"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
limit_request_line = 8190
# Forwarded addresses are handled by the app itself (FORMS_PROXY_HOPS), not by gunicorn.
forwarded_allow_ips = ""

# The code every web process runs, imported by the master before it forks them: their pages are then
# shared rather than each process's own (the app and its components are still made in each worker,
# after the fork).  ~55 MiB less for the whole service with two web processes, measured.
SHARED_MODULES = (
    "forms_service.web", "forms_service.web.api", "forms_service.web.pages", "forms_service.produce.producer",
    "forms_service.archive", "forms_service.catalog.sql", "pikepdf.pdfa", "docxtpl", "pyhanko.sign.signers",
    "pyhanko.sign.validation", "pyhanko_certvalidator", "sqlalchemy.orm",
)


def on_starting(server: Any) -> None:
    """In the master, before any worker: the shared store and demo PKI (no-ops when not used), the
    folder where every process writes its metrics (emptied: samples of a past run), and the code the
    workers share."""
    prepare_folder(_settings.run_dir / "metrics")
    server.forms_shared = start_shared_services(_settings)
    for name in SHARED_MODULES:
        importlib.import_module(name)
    # Objects made so far are left out of later collections: a collection writes to every object
    # it visits, which would copy the shared pages into each web process again.
    gc.collect()
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """Each web process offers to run the instance's jobs (batches, the hourly seal, month closing,
    digests, renewals); the one that takes the lock does, the others take over if it ends —
    unless FORMS_JOBS_WORKERS is 0."""
    if _settings.jobs_workers:
        from forms_service.jobs.process import JobsInWebProcess
        from forms_service.web.wsgi import components

        worker.forms_jobs = JobsInWebProcess(components, _settings.run_dir / "jobs.lock").start()


def worker_exit(server: Any, worker: Any) -> None:
    """In the web process that ends: running jobs finish and the jobs lock is freed for another."""
    jobs = getattr(worker, "forms_jobs", None)
    if jobs is not None:
        jobs.stop()


def post_fork(server: Any, worker: Any) -> None:
    """The web process's own lines on standard error (libraries' only from WARNING)."""
    from forms_service.observe.console import quiet_console

    quiet_console(1 if os.environ.get("FORMS_VERBOSE") else 0, json_lines=_settings.log_format == "json")


def child_exit(server: Any, worker: Any) -> None:
    from forms_service.observe.metrics import process_gone

    process_gone(worker.pid)


def on_exit(server: Any) -> None:
    shared = getattr(server, "forms_shared", None)
    if shared is not None:
        shared.close()


if _settings.tls_certificate:
    certfile = _settings.tls_certificate
    keyfile = _settings.tls_key

    def ssl_context(config: Any, default_ssl_context_factory: Any) -> ssl.SSLContext:
        context = default_ssl_context_factory()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context
