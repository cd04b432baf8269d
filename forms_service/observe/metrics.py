"""The metrics and their exposition.  Labels are bounded: a route is its URL rule
(``/api/v1/records/<record_id>``), never the path a client sent; a method is one of HTTP's own, any
other a client invents is ``other`` — so no request can add series."""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.registry import REGISTRY

from . import MULTIPROC_ENV

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

REQUESTS = Counter("forms_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("forms_http_request_seconds", "time to answer an HTTP request", ["method", "route"],
                    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180))
STAGES = Histogram("forms_stage_seconds", "time of one production stage (render_convert, pdfa_check, sign, store)",
                   ["stage"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180))
RESTARTS = Counter("forms_converter_restarts", "LibreOffice workers restarted (killed, hung or crashed)")
LENT = Counter("forms_converter_lent", "long documents' chunks converted for another web process, by outcome",
               ["outcome"])
JOBS_IN_FLIGHT = Gauge("forms_jobs_in_flight", "background jobs running now", ["job"], multiprocess_mode="livesum")
JOBS = Counter("forms_jobs", "background jobs ended, by outcome (complete, error)", ["job", "outcome"])
BATCH_ENTRIES = Counter("forms_batch_entries", "batch entries ended, by state (done, refused, failed)", ["state"])
QUEUE_DEPTH = Gauge("forms_jobs_queued", "jobs waiting in the queue (read at each scrape)",
                    multiprocess_mode="mostrecent")


METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    """``route``: the URL rule that answered, or ``(no route)``; never what the client sent."""
    method = method if method in METHODS else "other"
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def observe_stage(stage: str, seconds: float) -> None:
    STAGES.labels(stage).observe(seconds)


def converter_restarted() -> None:
    RESTARTS.inc()


def converter_lent(outcome: str) -> None:
    LENT.labels(outcome).inc()


def job_started(job: str) -> None:
    JOBS_IN_FLIGHT.labels(job).inc()


def job_ended(job: str, outcome: str) -> None:
    JOBS_IN_FLIGHT.labels(job).dec()
    JOBS.labels(job, outcome).inc()


def batch_entry_ended(state: str) -> None:
    BATCH_ENTRIES.labels(state).inc()


def queue_depth(depth: int) -> None:
    QUEUE_DEPTH.set(depth)


def exposition() -> bytes:
    """Every process's samples (all of gunicorn's web processes when they share a metrics folder)."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def process_gone(pid: int) -> None:
    """A web process ended: its live gauges no longer count (gunicorn's child_exit)."""
    if os.environ.get(MULTIPROC_ENV):
        _multiprocess.mark_process_dead(pid)
