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
