"""A connection is what its parties agreed, not what any form names (issue: one agency steering and
stopping another's query log).  An agency that files a 附件1 naming another agency's system, and then
its 終止, changes nothing of that other agency's month, flags, connection or due list until that
agency and the data provider take part; it cannot end the other's connection; and the lookups
are indexed, so hundreds of applications of one agency blind no other agency's check."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

from forms_service.catalog import NewAuditEvent, NewRecord, NewVersion
from forms_service.connections.tokens import create_system_token
from tests.conftest import agree_connection, agreed_connection, bearer, load_example

UNIT = "379010000A"  # 臺北市稅捐稽徵處: B, the 資料使用單位 of its own agreed connection
INTRUDER = "382000000A"  # 新北市政府: A, which files a 附件1 naming B
SYSTEM = load_example("annex1-interface")["host"]["system_name"]


def at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T02:00:00+00:00")  # 10:00 in Taipei


def events(*accounts: str) -> list[dict]:
    return [{"event_id": f"e{n}", "at": f"2026-11-0{n + 2}T10:00:00+08:00", "system": SYSTEM,
             "user": {"name": "王小明", "account": account}, "subject": {"business_id": "22099131"},
             "purpose": "營業稅籍查核", "case_no": f"案{n}"} for n, account in enumerate(accounts)]


def intruders_application() -> dict:
    """A's 附件1: A applies, naming B as 資料使用單位 of B's own system, with users of its own."""
    data = load_example("annex1-interface")
    data["applicant"] = {"name": "新北市政府", "code": INTRUDER, "address": "新北市板橋區中山路一段161號"}
    data["users"] = [{"name": "張三", "title": "科員", "account": "ntpc-chang", "business_scope": "營業稅籍查核"}]
    return data


def test_an_application_naming_another_agency_changes_nothing_of_its_until_it_and_the_provider_take_part(
        client, catalog, clock):
    clock.at = at("2026-10-01")
    real = agreed_connection(client, catalog)  # B's connection (applied by 財政局), agreed by B and the provider
    feed = {"Authorization": f"Bearer {create_system_token(catalog, agency=UNIT, connection_id=real)}"}
    clock.at = at("2026-11-20")
    assert client.post("/api/v1/query-events", headers=feed, json=events("tp-wang")).json["accepted"] == 1
    unit_clerk = bearer(catalog, UNIT, "clerk")
    unit_staff = bearer(catalog, UNIT, "staff")

    def month() -> dict:
        found = client.get(f"/api/v1/query-logs/{SYSTEM}/2026-11", headers=unit_clerk).json
        return {"connection": found["connection"], "flags": sorted((f["event_id"], f["kind"]) for f in found["flags"])}

    def due() -> list:
        return client.get("/api/v1/due", headers=unit_staff).json["items"]

    def b_connections() -> dict:
        return {c["id"]: (c["state"], c["agreed"]) for c in
                client.get("/api/v1/connections", headers=unit_clerk).json["connections"]}

    clock.at = at("2026-11-20")
    before = month(), due(), b_connections()
    assert before[0]["connection"] == real and ("e0", "unapproved-user") not in before[0]["flags"]

    # A files a 附件1 naming B and B's system, with its own users…
    intruder = bearer(catalog, INTRUDER, "staff")
    forged = client.post("/api/v1/forms/annex1-interface/records", json=intruders_application(), headers=intruder)
    assert forged.status_code == 201, forged.json
    forged_id = forged.json["record_id"]
    # … then its 終止, backdated: refused — an agency's 終止 takes effect no earlier than its filing.
    ending = {**intruders_application(), "application_type": "termination", "related_record": forged_id,
              "termination": {"effective_on": "115/11/01", "reason": "系統停用"}}
    for key in ("users", "period", "purpose", "legal_basis", "data_items", "security", "contacts",
                "basis_documents", "sensitive_personal_data", "exchange_methods"):
        ending.pop(key, None)
    backdated = client.post("/api/v1/forms/annex1-interface/records", json=ending, headers=intruder)
    assert backdated.status_code == 422
    assert [e["path"] for e in backdated.json["error"]["errors"]] == ["termination.effective_on"]
    ending["termination"]["effective_on"] = "115/11/20"
    assert client.post("/api/v1/forms/annex1-interface/records", json=ending, headers=intruder).status_code == 201
    # A cannot name B's own connection: it is not A's to see, let alone end.
    theirs = {**ending, "related_record": real}
    refused = client.post("/api/v1/forms/annex1-interface/records", json=theirs, headers=intruder)
    assert refused.status_code == 422 and refused.json["error"]["errors"][0]["code"] == "unknown_record"

    # B's month, flags, connection and due list are as they were; B sees A's connection as not agreed.
    clock.at = at("2026-12-05")
    assert month() == before[0]
    assert due() == [i for i in due() if i["connection_id"] != forged_id]
    assert [i for i in due() if i["kind"] == "purge"] == []
    listed = b_connections()
    assert listed[real] == before[2][real] and listed[forged_id] == ("terminated", False)
    # B's system token still posts: A's 終止 is not B's connection's.
    later = [{**e, "event_id": "late", "at": "2026-12-01T10:00:00+08:00"} for e in events("tp-wang")]
    assert client.post("/api/v1/query-events", headers=feed, json=later).json["accepted"] == 1

    # The provider countersigning A's 附件2 alone does not make it B's either.
    agreement = {**load_example("annex2-agreement"), "related_record": forged_id,
                 "party": {**load_example("annex2-agreement")["party"], "name": "新北市政府", "code": INTRUDER},
                 "users": intruders_application()["users"]}
    filed = client.post("/api/v1/forms/annex2-agreement/records", json=agreement, headers=intruder)
    assert filed.status_code in (201, 422)  # (A's 終止 ended it: no form follows a 終止)
    assert month() == before[0]


def test_hundreds_of_applications_of_one_agency_blind_no_other_agencys_check(client, catalog, clock):
    clock.at = at("2026-10-01")
    real = agreed_connection(client, catalog)
    feed = {"Authorization": f"Bearer {create_system_token(catalog, agency=UNIT, connection_id=real)}"}
    clock.at = at("2026-11-20")
    assert client.post("/api/v1/query-events", headers=feed, json=events("tp-wang", "tp-stranger")).json[
        "accepted"] == 2
    clerk = bearer(catalog, UNIT, "clerk")
    clock.at = at("2026-12-02")
    before = client.get(f"/api/v1/query-logs/{SYSTEM}/2026-11", headers=clerk).json
    assert before["connection"] == real and ("e1", "unapproved-user") in {(f["event_id"], f["kind"])
                                                                         for f in before["flags"]}
    connection_before = client.get(f"/api/v1/connections/{real}", headers=clerk).json

    # 600 applications of another agency, each its own connection (as the archive files them).
    started = datetime.now(timezone.utc)
    for n in range(600):
        record_id = f"rec_flood{n:04d}"
        data = {**intruders_application(), "host": {"name": "x", "system_name": f"系統{n}", "ip_addresses": []}}
        catalog.add_record(
            NewRecord(id=record_id, form_id="annex1-interface", agency_name="新北市政府", agency_code=INTRUDER,
                      user_unit_name="新北市政府", title="附件1", period_start=None, period_end=None, input=data,
                      created_at=started + timedelta(seconds=n), created_by="token:x", connection_id=record_id,
                      user_unit_code=INTRUDER, system_name=f"系統{n}"),
            NewVersion(number=1, object_key=f"records/x/{record_id}/v1.pdf", object_version="v1", sha256="0" * 64,
                       size=1, pages=1, signatures=1, signature_report=[], retention_mode="GOVERNANCE",
                       retain_until=None, created_at=started),
            NewAuditEvent(actor="token:x", action="record.create", record_id=record_id))

    after = client.get(f"/api/v1/query-logs/{SYSTEM}/2026-11", headers=clerk).json
    assert (after["connection"], after["flags"]) == (before["connection"], before["flags"])
    assert client.get(f"/api/v1/connections/{real}", headers=clerk).json == connection_before
    # The system's connection still ends its events: a 終止 filed now is seen however many came since.
    applicant = bearer(catalog, "379000000A", "staff")
    ending = {**load_example("annex1-interface"), "application_type": "termination", "related_record": real,
              "termination": {"effective_on": "115/12/02", "reason": "系統停用"}}
    for key in ("users", "period", "purpose", "legal_basis", "data_items", "security", "contacts",
                "basis_documents", "sensitive_personal_data", "exchange_methods"):
        ending.pop(key, None)
    assert client.post("/api/v1/forms/annex1-interface/records", json=ending, headers=applicant).status_code == 201
    late = [{**events("tp-wang")[0], "event_id": "late", "at": "2026-12-03T10:00:00+08:00"}]
    refused = client.post("/api/v1/query-events", headers=feed, json=late).json
    assert refused["refused"][0]["errors"][0]["code"] == "connection_terminated"


def test_the_user_unit_acknowledges_on_its_page_and_only_it(client, catalog, clock):
    """A's connection naming B governs B's month once B acknowledges it on its page and the provider
    has countersigned; an agency that is not its 資料使用單位 cannot acknowledge it for B."""
    clock.at = at("2026-10-01")
    intruder = bearer(catalog, INTRUDER, "staff")
    root = client.post("/api/v1/forms/annex1-interface/records", json=intruders_application(),
                       headers=intruder).json["record_id"]
    assert client.post(f"/api/v1/connections/{root}/acknowledge", headers=intruder).status_code == 403
    assert client.post(f"/api/v1/connections/{root}/acknowledge",
                       headers=bearer(catalog, UNIT, "clerk")).status_code == 403
    agreement = {**load_example("annex2-agreement"), "party": {**load_example("annex2-agreement")["party"],
                                                               "name": "新北市政府", "code": INTRUDER},
                 "users": intruders_application()["users"]}
    agree_connection(client, catalog, root, applicant=INTRUDER, unit=UNIT, agreement=agreement)
    found = client.get(f"/api/v1/connections/{root}", headers=intruder).json
    assert found["agreed"] and found["state"] == "active"
    acks = [e for e in catalog.audit_events() if e.action == "connection.acknowledge"]
    assert [(e.record_id, e.agency) for e in acks] == [(root, UNIT)]


def test_a_system_token_is_bound_to_an_agreed_connection_of_its_agency(client, catalog, clock):
    import pytest

    from forms_service.errors import InputError

    clock.at = at("2026-10-01")
    applied = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                          headers=bearer(catalog, "379000000A", "staff")).json["record_id"]
    with pytest.raises(InputError, match="尚未經資料提供機關審核同意"):
        create_system_token(catalog, agency=UNIT, connection_id=applied)
    agree_connection(client, catalog, applied)
    with pytest.raises(InputError, match="不是介接案"):
        create_system_token(catalog, agency="379000000A", connection_id=applied)
    with pytest.raises(InputError, match="不是「別的系統」"):
        create_system_token(catalog, agency=UNIT, connection_id=applied, system="別的系統")
    token = create_system_token(catalog, agency=UNIT, connection_id=applied)
    [made] = [t for t in catalog.tokens() if t.prefix == token[:10]]
    assert (made.connection_id, made.system, made.role) == (applied, SYSTEM, "system")
    assert dataclasses.asdict(made)["agency"] == UNIT


def test_the_migration_puts_each_existing_record_in_its_connection(tmp_path):
    """Records filed before connections were indexed: the migration follows ``related_record`` back
    to each one's first 附件1 and reads the 資料使用單位 and system from its input."""
    import json
    import sqlite3

    from alembic import command

    from forms_service.db.migrate import _config
    from forms_service.repositories import SqlCatalog

    path = tmp_path / "catalog.sqlite3"
    catalog = SqlCatalog(f"sqlite:///{path}")
    with catalog.engine.begin() as connection:
        command.upgrade(_config(connection), "0018")
    application = load_example("annex1-interface")
    rows = [("rec_app", "annex1-interface", application),
            ("rec_agr", "annex2-agreement", {"related_record": "rec_app", "user_unit": {"code": UNIT}}),
            ("rec_renew", "annex1-interface", {**application, "application_type": "renewal",
                                               "related_record": "rec_app"}),
            ("rec_reg", "annex5-query-log", {"related_record": "rec_renew", "system_name": SYSTEM,
                                             "user_unit": {"code": UNIT}}),
            ("rec_alone", "annex3-requirements", {"system_name": "其他系統"})]
    with sqlite3.connect(path) as db:
        for record_id, form_id, data in rows:
            db.execute("INSERT INTO records (id, form_id, agency_name, agency_code, user_unit_name, title, status,"
                       " input, created_at, created_by) VALUES (?, ?, 'x', '379000000A', '', 't', 'active', ?,"
                       " '2026-11-01 00:00:00.000000', 'x')", (record_id, form_id, json.dumps(data)))
    catalog.create_schema()
    found = {r: catalog.get_record(r) for r, _, _ in rows}
    assert {r: f.connection_id for r, f in found.items()} == {
        "rec_app": "rec_app", "rec_agr": "rec_app", "rec_renew": "rec_app", "rec_reg": "rec_app", "rec_alone": ""}
    assert (found["rec_app"].user_unit_code, found["rec_app"].system_name) == (UNIT, SYSTEM)
    assert (found["rec_reg"].user_unit_code, found["rec_reg"].system_name) == (UNIT, SYSTEM)
    assert catalog.connection_ids(user_unit=UNIT, system=SYSTEM) == ["rec_app"]
    catalog.close()


def test_a_month_is_closed_by_hand_only_for_a_system_of_an_agreed_connection_of_that_agency(client, catalog, clock,
                                                                                            memory_store):
    clock.at = at("2026-12-10")
    staff = bearer(catalog, UNIT, "staff")
    for system in ("任意系統", SYSTEM):  # none agreed yet: neither a made-up name nor the applied-for system
        refused = client.post(f"/api/v1/query-logs/{system}/2026-11/close", headers=staff)
        assert refused.status_code == 400 and refused.json["error"]["field"] == "system"
    assert list(memory_store.list_versions("query-logs/")) == []
    agreed_connection(client, catalog)
    assert client.post(f"/api/v1/query-logs/{SYSTEM}/2026-11/close", headers=staff).status_code == 201
