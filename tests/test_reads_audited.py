"""Reading a connection, an audit or a month of query events is written into the audit log by its
concern's service (``connections/reading.py``, ``ProviderOversight.read_inspection``,
``QueryLogDuty.read``), through the API and the pages alike; a refused read writes no such entry."""

from __future__ import annotations

from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from tests.test_web_pages import sign_in


def bearer(catalog, agency: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(catalog, agency=agency, role=role)}"}


def reads(catalog, action: str) -> list:
    return [e for e in catalog.audit_events(limit=1000) if e.action == action]


def test_each_read_is_audited_once_by_its_service_and_a_refused_one_not_at_all(client, app, catalog, example, clock):
    staff, other = bearer(catalog, "379000000A", "staff"), bearer(catalog, "376000000A", "staff")
    provider = bearer(catalog, "A15000000E", "provider")
    root = client.post("/api/v1/forms/annex1-interface/records", headers=staff,
                       json=example("annex1-interface")).json["record_id"]
    audit_on = f"{clock.now().year - 1911 + 1}/03/15"
    inspection = client.post("/api/v1/inspections", headers=provider,
                             json={"agency": "379000000A", "audit_on": audit_on, "team": "王稽核"}).json["id"]

    assert client.get(f"/api/v1/connections/{root}", headers=staff).status_code == 200
    assert client.get(f"/api/v1/inspections/{inspection}", headers=staff).status_code == 200
    assert client.get("/api/v1/query-logs/稅務系統/2026-11", headers=staff).status_code == 200
    [connection] = reads(catalog, "connection.read")
    [audit] = reads(catalog, "inspection.read")
    [month] = reads(catalog, "query-log.read")
    assert connection.agency == audit.agency == month.agency == "379000000A"
    assert connection.detail["connection"] == root and audit.detail["inspection"] == inspection
    assert (month.detail["system"], month.detail["month"]) == ("稅務系統", "2026-11")

    # Another agency's connection and audit are not found, and nothing is written as read.
    assert client.get(f"/api/v1/connections/{root}", headers=other).status_code == 404
    assert client.get(f"/api/v1/inspections/{inspection}", headers=other).status_code == 404
    assert len(reads(catalog, "connection.read")) == len(reads(catalog, "inspection.read")) == 1

    # The pages read through the same services.
    create_user(catalog, username="lin", password="a long password 1", agency="379000000A", role="staff")
    assert sign_in(client, "lin", "a long password 1").status_code == 302
    for page in (f"/connections/{root}", f"/inspections/{inspection}", "/query-logs/稅務系統/2026-11"):
        assert client.get(page).status_code == 200, page
    assert [e.detail.get("via") for e in reads(catalog, "connection.read")] == ["web", None]
    assert [e.detail.get("via") for e in reads(catalog, "inspection.read")] == ["web", None]
    assert [e.detail.get("via") for e in reads(catalog, "query-log.read")] == ["web", None]
