"""``GET /metrics`` in Prometheus's text format, parsed by Prometheus's own parser: requests by route
(the URL rule, never the path sent), the production stages' times, LibreOffice restarts.  (Across
gunicorn's web processes: ``test_cli.py``'s serve test.)"""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from forms_service.access.tokens import create_token
from tests.conftest import load_example


def scrape(client) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.content_type.startswith("text/plain")
    found: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.data.decode()):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_requests_and_stages_are_counted(client, catalog):
    token = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    before = scrape(client)
    created = client.post("/api/v1/forms/annex2-agreement/records", json=load_example("annex2-agreement"),
                          headers=token)
    assert created.status_code == 201
    client.get(f"/api/v1/records/{created.json['record_id']}", headers=token)
    client.get("/api/v1/records/rec_00000000000000000000000000000000", headers=token)
    after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        key = tuple(sorted(labels.items()))
        return after.get(name, {}).get(key, 0) - before.get(name, {}).get(key, 0)

    assert grew("forms_http_requests_total", method="POST", route="/api/v1/forms/<form_id>/records",
                status="201") == 1
    assert grew("forms_http_requests_total", method="GET", route="/api/v1/records/<record_id>", status="200") == 1
    assert grew("forms_http_requests_total", method="GET", route="/api/v1/records/<record_id>", status="404") == 1
    assert not any("rec_" in str(key) for key in after.get("forms_http_requests_total", {}))  # bounded labels
    for stage in ("render_convert", "pdfa_check", "sign", "store"):
        assert grew("forms_stage_seconds_count", stage=stage) == 1, stage
    assert "forms_converter_restarts_total" in after


def test_the_queue_depth_and_the_jobs_are_counted(client, catalog, fake_components):
    from forms_service.observe.metrics import batch_entry_ended, job_ended, job_started

    token = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    assert scrape(client)["forms_jobs_queued"][()] == 0
    created = client.post("/api/v1/batches", headers=token,
                          json={"form": "annex2-agreement", "inputs": [load_example("annex2-agreement")] * 2})
    assert created.status_code == 202
    assert scrape(client)["forms_jobs_queued"][()] == 2  # one worker job per waiting entry, nobody runs them here
    before = scrape(client)
    job_started("batch.work")  # as the process running jobs reports one (huey's signals)
    assert scrape(client)["forms_jobs_in_flight"][(("job", "batch.work"),)] == 1
    job_ended("batch.work", "error")
    batch_entry_ended("failed")
    after = scrape(client)
    assert after["forms_jobs_in_flight"][(("job", "batch.work"),)] == 0
    key = (("job", "batch.work"), ("outcome", "error"))
    assert after["forms_jobs_total"][key] - before.get("forms_jobs_total", {}).get(key, 0) == 1
    assert after["forms_batch_entries_total"][(("state", "failed"),)] >= 1


def test_made_up_methods_add_no_series(client):
    """2,000 requests with invented HTTP methods leave /metrics the same size: every unknown method
    is ``other``, every unmatched path ``(no route)``."""
    client.open("/api/v1/records/rec_x", method="INVENTED0")  # the one series they all share
    client.get("/metrics")
    before = client.get("/metrics").data
    for n in range(2000):
        client.open(f"/api/v1/records/rec_{n}", method=f"M{n:05d}")
    after = client.get("/metrics").data
    series = {line.rsplit(" ", 1)[0] for line in after.decode().splitlines() if not line.startswith("#")}
    assert series == {line.rsplit(" ", 1)[0] for line in before.decode().splitlines() if not line.startswith("#")}
    assert abs(len(after) - len(before)) < 200  # the counts' digits, nothing more
    assert not any("M0" in s or "rec_" in s for s in series)
    other = scrape(client)["forms_http_requests_total"]
    assert sum(v for k, v in other.items() if ("method", "other") in k) >= 2001


def test_metrics_are_for_the_monitoring_hosts_or_an_administrator(client, catalog):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/metrics", environ_base=outside).status_code == 403
    staff = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='staff')}"}
    assert client.get("/metrics", environ_base=outside, headers=staff).status_code == 403
    admin = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='admin')}"}
    assert client.get("/metrics", environ_base=outside, headers=admin).status_code == 200
    assert client.get("/metrics").status_code == 200  # from loopback, the default FORMS_METRICS_NETWORKS


def test_readiness_shows_worker_process_ids_only_to_an_administrator(client, catalog, fake_components):
    fake_components.converter.status = lambda: [{"worker": 0, "alive": True, "pid": 4242}]
    try:
        plain = client.get("/readyz").json["checks"]["converter"]["workers"]
        admin = {"Authorization": f"Bearer {create_token(catalog, agency='379000000A', role='admin')}"}
        shown = client.get("/readyz", headers=admin).json["checks"]["converter"]["workers"]
    finally:
        del fake_components.converter.status
    assert plain == [{"worker": 0, "alive": True}] and shown[0]["pid"] == 4242
