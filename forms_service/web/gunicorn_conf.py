"""gunicorn settings for production, from the same FORMS_* settings as ``serve``.

    gunicorn -c python:forms_service.web.gunicorn_conf

Listens on FORMS_HOST:FORMS_PORT, over HTTPS when FORMS_TLS_CERTIFICATE and FORMS_TLS_KEY are set
(TLS 1.2 or newer).  Threads serve concurrent requests inside a worker (the work is mostly I/O
and subprocesses).  With the embedded store keep one worker (FORMS_WEB_WORKERS), since it is tied
to the process that started it; point FORMS_S3_ENDPOINT at a real S3 service to run more.
"""

from __future__ import annotations

import os
import ssl

from forms_service.settings import Settings

_settings = Settings.load()

wsgi_app = "forms_service.web.wsgi:app"
bind = [f"{_settings.host}:{_settings.port}"]
worker_class = "gthread"
workers = int(os.environ.get("FORMS_WEB_WORKERS", "1" if _settings.embedded_store else "2"))
threads = int(os.environ.get("FORMS_WEB_THREADS", "16"))
# A 附件5 of 10,000 entries takes about a minute to produce; nothing else comes close.
timeout = 180
graceful_timeout = 30
keepalive = 5
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
errorlog = "-"
limit_request_line = 8190
# Forwarded addresses are handled by the app itself (FORMS_PROXY_HOPS), not by gunicorn.
forwarded_allow_ips = ""

if _settings.tls_certificate:
    certfile = _settings.tls_certificate
    keyfile = _settings.tls_key

    def ssl_context(config, default_ssl_context_factory):
        context = default_ssl_context_factory()
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context
