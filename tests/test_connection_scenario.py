"""One connection over its life, on a simulated clock, through the API: application → countersigned
agreement → requirements → a monthly register → yearly self-reviews → the Ministry's audit (the
checklist prepared from the 附件3, answered with evidence before the deadline, two findings, the
team-signed 附件4, replies, closing) → renewal → termination → a late purge.  At each step the
due list (the provider's view, across agencies) holds exactly what the regulation makes due, and
every document ends up archived and linked to the connection.  Beside it: incidents reported to
the provider at once, and the refusals (answers after the deadline, results before the audit day,
a purge record naming no 終止)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import datetime

from forms_service.access.tokens import create_token
from forms_service.access.users import create_user
from tests.conftest import load_example, signed_form


def at(day: str) -> datetime:
    return datetime.fromisoformat(day + "T02:00:00+00:00")  # 10:00 in Taipei


def bearer(catalog, agency: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(catalog, agency=agency, role=role)}"}


def test_two_years_of_one_connection(client, catalog, clock, memory_store, described):
    applicant = bearer(catalog, "379000000A", "staff")  # 臺北市政府財政局
    unit = bearer(catalog, "379010000A", "staff")  # 臺北市稅捐稽徵處, the 資料使用單位
    provider = bearer(catalog, "A15000000E", "provider")

    def due() -> list[tuple[str, str]]:
        return [(i["kind"], i["due_on"]) for i in client.get("/api/v1/due", headers=provider).json["items"]]

    def post(form_id: str, data: dict, headers: dict) -> str:
        answer = client.post(f"/api/v1/forms/{form_id}/records", json=data, headers=headers)
        assert answer.status_code == 201, answer.json
        return answer.json["record_id"]

    # 2026: applied, agreed (countersigned: 使用中), requirements issued.
    clock.at = at("2026-01-05")
    root = post("annex1-interface", load_example("annex1-interface"), applicant)
    assert due() == []
    clock.at = at("2026-01-10")
    agreement = post("annex2-agreement", {**load_example("annex2-agreement"), "related_record": root}, applicant)
    countersigned = client.post(f"/api/v1/records/{agreement}/countersign", headers=provider)
    assert described.check("post", f"/records/{agreement}/countersign", countersigned)["version"] == 2
    requirements = post("annex3-requirements", {**load_example("annex3-requirements"), "related_record": root},
                        applicant)
    # Countersigned, but the 資料使用單位 has not taken part yet: not in use.
    assert client.get(f"/api/v1/connections/{root}", headers=unit).json["state"] == "applied"
    assert client.post(f"/api/v1/connections/{root}/acknowledge", headers=unit).status_code == 200
    assert client.get(f"/api/v1/connections/{root}", headers=unit).json["state"] == "active"
    assert due() == []

    # December: November's register filed; the first yearly self-review is due on 2027-01-01.
    clock.at = at("2026-12-05")
    register = post("annex5-query-log", {**load_example("annex5-query-log"), "related_record": root}, unit)
    assert due() == [("yearly-review", "2027-01-01")]
    clock.at = at("2026-12-15")
    review = post("annex4-audit-checklist", {**load_example("annex4-audit-checklist"), "related_record": root}, unit)
    assert due() == []

    # 2027: the Ministry's audit on Thursday 2027-04-15; answers due 5 working days before —
    # 2027-04-08, across 兒童節 and 清明節 (4/3–4/6 off).
    clock.at = at("2027-03-01")
    scheduled = client.post("/api/v1/inspections", headers=provider, json={
        "agency": "379010000A", "audit_on": "116/04/15", "team": "陳稽核、李專員", "connection_id": root})
    assert scheduled.status_code == 201, scheduled.json
    audit_id = scheduled.json["id"]
    assert due() == [("audit-answers", "2027-04-08")]
    checklist = client.get(f"/api/v1/inspections/{audit_id}", headers=unit).json
    assert checklist["prepared_from_requirements"] is True
    assert "帳號閒置 90 日即停用" in checklist["items"][2]["basis"]  # item 3, from the 附件3
    assert checklist["items"][20]["basis"].startswith("附件3：查核人員")  # item 21

    clock.at = at("2027-04-01")
    early = client.put(f"/api/v1/inspections/{audit_id}/items/6/result", headers=provider,
                       json={"result": "conform"})
    assert early.status_code == 400 and "稽核日" in early.json["error"]["message"]
    elsewhere = post("annex3-requirements", {**load_example("annex3-requirements"),
                                             "applicant": {"name": "新北市政府", "code": "382000000A"},
                                             "user_unit": {"name": "新北市政府稅捐稽徵處", "code": "382010000A"}},
                     bearer(catalog, "382000000A", "staff"))
    wrong = client.put(f"/api/v1/inspections/{audit_id}/items/9/answer", headers=unit,
                       json={"self_result": "conform", "evidence": [elsewhere]})
    assert wrong.status_code == 400 and wrong.json["error"]["field"] == "item-9-evidence"
    for item in range(1, 25):
        evidence = {9: [register], 14: [review], 19: [requirements]}.get(item, [])
        answered = client.put(f"/api/v1/inspections/{audit_id}/items/{item}/answer", headers=unit,
                              json={"self_result": "na" if item == 13 else "conform", "evidence": evidence})
        assert answered.status_code == 200, answered.json
    # A file as evidence: archived under retention, cited in the item, read back as it was.
    scan = b"%PDF-1.7 vulnerability scan report 2027-03\n"
    empty = client.post(f"/api/v1/inspections/{audit_id}/items/17/files", headers=unit,
                        data={"file": (io.BytesIO(b""), "empty.pdf")}, content_type="multipart/form-data")
    assert empty.status_code == 400 and empty.json["error"]["field"] == "item-17-file"
    uploaded = client.post(f"/api/v1/inspections/{audit_id}/items/17/files", headers=unit,
                           data={"file": (io.BytesIO(scan), "弱點掃描報告.pdf", "application/pdf")},
                           content_type="multipart/form-data")
    assert uploaded.status_code == 201, uploaded.json
    digest = hashlib.sha256(scan).hexdigest()
    assert uploaded.json["evidence"] == [f"file:{digest}:弱點掃描報告.pdf"]
    again = client.put(f"/api/v1/inspections/{audit_id}/items/17/answer", headers=unit,
                       json={"self_result": "conform", "evidence": [register]})  # the file stays cited
    assert again.json["evidence"] == [f"file:{digest}:弱點掃描報告.pdf", register]
    [key] = [o.key for o in memory_store.list_versions("inspection-evidence/") if o.key.endswith(digest)]
    stored_scan = memory_store.head(key)
    assert stored_scan.retention is not None and stored_scan.retention.until.year >= 2028
    read_back = client.get(f"/api/v1/inspections/{audit_id}/files/{digest}", headers=provider)
    assert read_back.status_code == 200 and read_back.data == scan
    assert client.get(f"/api/v1/inspections/{audit_id}/files/{'0' * 64}", headers=provider).status_code == 404
    sent = client.post(f"/api/v1/inspections/{audit_id}/answers", headers=unit,
                       json={"filled_by": "王小明", "filled_title": "資訊室主任"})
    assert sent.status_code == 200 and sent.json["answered_at"]
    assert due() == []

    clock.at = at("2027-04-09")  # a day after the due date: a correction is still taken (a date, not a bar)
    late = client.put(f"/api/v1/inspections/{audit_id}/items/1/answer", headers=unit, json={"self_result": "conform"})
    assert late.status_code == 200, late.json
    clock.at = at("2027-04-15")  # the audit day: the team judges, the agency's column is closed
    closed = client.put(f"/api/v1/inspections/{audit_id}/items/1/answer", headers=unit, json={"self_result": "na"})
    assert closed.status_code == 400 and closed.json["error"]["field"] == "items"

    clock.at = at("2027-04-15")  # the audit day: the team's results, two findings, the signed 附件4
    for item in range(1, 25):
        verdict = {6: ("nonconform", "分機以一般網際網路連線"), 17: ("nonconform", "115年度未辦理弱點掃描"),
                   13: ("na", "")}.get(item, ("conform", ""))
        judged = client.put(f"/api/v1/inspections/{audit_id}/items/{item}/result", headers=provider,
                            json={"result": verdict[0], "note": verdict[1]})
        assert judged.status_code == 200, judged.json
    unfinished = client.post(f"/api/v1/inspections/{audit_id}/finish", headers=provider)
    assert unfinished.status_code == 422 and "items[5].result" in str(unfinished.json)  # 不符合 needs a finding
    for item, issue, deadline in ((6, "未全面採VPN傳輸", "116/06/30"), (17, "未定期辦理弱點掃描", "116/07/31")):
        found = client.post(f"/api/v1/inspections/{audit_id}/findings", headers=provider,
                            json={"item": str(item), "issue": issue, "action": "限期改善並函復", "due": deadline})
        assert found.status_code == 201, found.json
    finished = client.post(f"/api/v1/inspections/{audit_id}/finish", headers=provider)
    assert finished.status_code == 201, finished.json
    final = finished.json["record_id"]
    record = client.get(f"/api/v1/records/{final}", headers=unit).json
    assert record["form_id"] == "annex4-audit-checklist" and record["input"]["related_record"] == root
    assert record["input"]["filled_by"]["name"] == "王小明" and record["input"]["filled_on"] == "2027-04-01"
    assert record["input"]["kind"] == "audit"  # printed as the provider's audit, not the agency's review
    assert "佐證：" + register in record["input"]["items"][8]["note"]
    assert "檔案「弱點掃描報告.pdf」" in record["input"]["items"][16]["note"]
    # the audit's record is the provider's alone: signed in its 稽核小組 block, never in the unit's
    assert [r["field"] for r in record["versions"][0]["signature_report"] if r.get("kind") == "signature"] == [
        "team"]
    assert due() == [("finding-reply", "2027-06-30"), ("finding-reply", "2027-07-31")]

    clock.at = at("2027-07-05")  # the first deadline missed: overdue, listed first
    items = client.get("/api/v1/due", headers=provider).json["items"]
    assert [(i["kind"], i["due_on"]) for i in items] == [("finding-reply", "2027-06-30"),
                                                         ("finding-reply", "2027-07-31")]
    for number in (1, 2):
        replied = client.post(f"/api/v1/inspections/{audit_id}/findings/{number}/reply", headers=unit,
                              json={"reply": "已改善，北市稽資字第1163000001號函復"})
        assert replied.status_code == 200, replied.json
        closed = client.post(f"/api/v1/inspections/{audit_id}/findings/{number}/close", headers=provider)
        assert closed.status_code == 200 and closed.json["closed_at"]
    assert due() == []

    # 2028: the team's 附件4 is the provider's audit (七), not the agency's own yearly review (六(一)2(4)):
    # the review is still due a year after the agency's last one, and late by now.
    clock.at = at("2028-03-20")
    assert due() == [("yearly-review", "2027-12-15")]
    clock.at = at("2028-04-01")
    second_review = post("annex4-audit-checklist", {
        **load_example("annex4-audit-checklist"), "related_record": root, "audit_date": "117/04/01",
        "period": {"start": "116/04/01", "end": "117/03/31"}, "filled_on": "117/03/25",
        "findings": [{**f, "due": "117/06/30"} for f in load_example("annex4-audit-checklist")["findings"]]}, unit)
    assert due() == []

    clock.at = at("2028-10-05")  # the 使用期限 ends 2028-12-31: renew
    assert due() == [("renewal", "2028-12-31")]
    renewal = post("annex1-interface", {**load_example("annex1-interface"), "application_type": "renewal",
                                        "related_record": root,
                                        "period": {"start": "118/01/01", "end": "120/12/31"}}, applicant)
    assert due() == []
    assert client.get(f"/api/v1/connections/{root}", headers=unit).json["period"]["end"] == "2031-12-31"

    # The agency stops using the data: 終止 from 2028-11-30; the purge is due a month later.
    clock.at = at("2028-11-10")
    ending = {key: value for key, value in load_example("annex1-interface").items()
              if key in ("applicant", "host", "user_unit", "request_letter", "applied_on")}
    termination = post("annex1-interface", {**ending, "application_type": "termination", "related_record": renewal,
                                            "termination": {"effective_on": "117/11/30", "reason": "業務移撥"}},
                       applicant)
    assert due() == [("purge", "2028-12-30")]

    clock.at = at("2029-01-05")  # missed: overdue, and the provider's people are reminded
    assert due() == [("purge", "2028-12-30")]
    assert client.get(f"/api/v1/connections/{root}", headers=unit).json["state"] == "terminated"
    purge_input = {**load_example("purge-record"), "related_record": termination, "terminated_on": "117/11/30",
                   "places": [{**p, "done_on": "118/01/04"} for p in load_example("purge-record")["places"]],
                   "completed_on": "118/01/04"}
    wrong_purge = client.post("/api/v1/forms/purge-record/records", headers=unit,
                              json={**purge_input, "related_record": renewal})
    assert wrong_purge.status_code == 422 and "所選附件1 不是終止申請" in str(wrong_purge.json)
    purge = post("purge-record", purge_input, unit)
    assert due() == []
    found = client.get(f"/api/v1/connections/{root}", headers=unit).json
    assert found["state"] == "purged" and found["purge_due_on"] == "2028-12-30"
    assert found["late"] and "清除紀錄逾期" in found["late"][0] and "117/12/30" in found["late"][0]

    # Every document archived, signed and linked to the one connection, in order.
    assert [(r["record_id"], r["kind"]) for r in found["records"]] == [
        (root, "application-new"), (agreement, "agreement"), (requirements, "requirements"),
        (register, "register"), (review, "review"), (final, "audit"), (second_review, "review"),
        (renewal, "application-renewal"), (termination, "application-termination"), (purge, "purge")]
    for member in found["records"]:
        stored = client.get(f"/api/v1/records/{member['record_id']}", headers=provider).json
        assert stored["versions"][0]["sha256"] and stored["versions"][0]["signature_report"]


def test_an_incident_is_reported_to_the_provider_at_once(client, catalog, clock, fake_components):
    from aiosmtpd.controller import Controller

    from storage.seaweed import free_port
    from tests.test_query_due import Inbox

    unit = bearer(catalog, "379010000A", "staff")
    provider = bearer(catalog, "A15000000E", "provider")
    create_user(catalog, username="paul", password="correct horse battery", agency="A15000000E", role="provider",
                email="paul@example.tw")
    clock.at = at("2026-11-18")

    # No mail server: the report is on the provider's page, and due until the provider has it.
    first = client.post("/api/v1/forms/incident-report/records", headers=unit, json=load_example("incident-report"))
    assert first.status_code == 201, first.json
    [incident] = client.get("/api/v1/incidents", headers=provider).json["incidents"]
    assert incident["reported_at"] is None and incident["discovered_at"].startswith("2026-11-18T01:40")
    assert [(i["kind"], i["due_on"]) for i in client.get("/api/v1/due", headers=unit).json["items"]] == [
        ("incident-report", "2026-11-18")]
    assert client.post(f"/api/v1/incidents/{first.json['record_id']}/acknowledge", headers=unit).status_code == 403
    read = client.post(f"/api/v1/incidents/{first.json['record_id']}/acknowledge", headers=provider)
    assert read.status_code == 200 and read.json["reported_how"].startswith("page: ")
    assert client.get("/api/v1/due", headers=unit).json["items"] == []

    # With mail: sent at once to the provider's people, the time recorded.
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        settings = dataclasses.replace(fake_components.settings, smtp_host="127.0.0.1", smtp_port=smtp.port,
                                       smtp_from="forms@example.tw")
        client.application.extensions["forms"] = fake_components.sharing(settings=settings)
        second = client.post("/api/v1/forms/incident-report/records", headers=unit,
                             json={**load_example("incident-report"), "discovered_time": "15:05"})
    finally:
        smtp.stop()
    assert second.status_code == 201, second.json
    newest = client.get("/api/v1/incidents", headers=unit).json["incidents"][0]
    assert newest["record_id"] == second.json["record_id"] and newest["reported_how"] == "mail: paul@example.tw"
    assert "資通安全事件通報" in inbox.messages[0]["Subject"] and second.json["record_id"] in \
        inbox.messages[0].get_content()


def test_the_provider_stops_a_connection_by_its_letter(client, catalog, clock):
    applicant = bearer(catalog, "379000000A", "staff")
    provider = bearer(catalog, "A15000000E", "provider")
    clock.at = at("2026-02-02")
    root = client.post("/api/v1/forms/annex1-interface/records", json=load_example("annex1-interface"),
                       headers=applicant).json["record_id"]
    agreement = client.post("/api/v1/forms/annex2-agreement/records", headers=applicant,
                            json={**load_example("annex2-agreement"), "related_record": root}).json["record_id"]
    assert client.post(f"/api/v1/records/{agreement}/countersign", headers=provider).status_code == 201
    unit = bearer(catalog, "379010000A", "staff")
    assert client.post(f"/api/v1/connections/{root}/acknowledge", headers=unit).json["agreed"] is True
    stop = {"letter": "經商字第11500012340號", "letter_date": "115/02/02", "effective_on": "115/02/10",
            "reason": "查核發現目的外利用"}
    assert client.post(f"/api/v1/connections/{root}/termination", headers=applicant, json=stop).status_code == 403
    bad = client.post(f"/api/v1/connections/{root}/termination", headers=provider, json={**stop, "letter": "12"})
    assert bad.status_code == 400 and bad.json["error"]["field"] == "letter"
    past = client.post(f"/api/v1/connections/{root}/termination", headers=provider,
                       json={**stop, "effective_on": "115/01/31"})
    assert past.status_code == 400 and past.json["error"]["field"] == "effective_on"
    stopped = client.post(f"/api/v1/connections/{root}/termination", headers=provider, json=stop)
    assert stopped.status_code == 201, stopped.json
    record = client.get(f"/api/v1/records/{stopped.json['record_id']}", headers=applicant).json
    assert record["connection_id"] == root and record["input"]["request_letter"]["number"] == stop["letter"]
    assert record["input"]["termination"] == {"effective_on": "2026-02-10", "reason": "查核發現目的外利用",
                                              "by": "provider"}
    # the provider's 終止 is signed in its own block only: no agency signs a stop it did not ask for
    assert [r["field"] for r in record["versions"][0]["signature_report"] if r.get("kind") == "signature"] == [
        "provider"]
    again = client.post(f"/api/v1/connections/{root}/termination", headers=provider, json=stop)
    assert again.status_code == 400 and "already terminated" in again.json["error"]["message"]
    assert [(i["kind"], i["due_on"]) for i in client.get("/api/v1/due", headers=provider).json["items"]] == [
        ("purge", "2026-03-10")]
    clock.at = at("2026-02-11")
    assert client.get(f"/api/v1/connections/{root}", headers=applicant).json["state"] == "terminated"


def _sign_in(client, catalog, username: str, agency: str, role: str) -> str:
    import re

    create_user(catalog, username=username, password="correct horse battery", agency=agency, role=role)
    client.get("/logout")
    login = client.get("/login").data.decode()
    client.post("/login", data={"csrf": re.search(r'name="csrf" value="([^"]+)"', login)[1], "username": username,
                                "password": "correct horse battery"})
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/inspections").data.decode())[1]


def test_the_team_works_its_column_on_the_audit_page(client, catalog, clock):
    """The team's results (a 不符合 without a note refused beside it), a finding, the signed 附件4;
    the agency's reply and the team's closing — through the pages."""
    unit = bearer(catalog, "379010000A", "staff")
    provider = bearer(catalog, "A15000000E", "provider")
    clock.at = at("2027-03-01")
    audit_id = client.post("/api/v1/inspections", headers=provider, json={
        "agency": "379010000A", "audit_on": "116/04/15", "team": "陳稽核"}).json["id"]
    for item in range(1, 25):
        client.put(f"/api/v1/inspections/{audit_id}/items/{item}/answer", headers=unit, json={"self_result": "conform"})

    clock.at = at("2027-04-15")
    csrf = _sign_in(client, catalog, "paul", "A15000000E", "provider")
    page = client.get(f"/inspections/{audit_id}").data.decode()
    assert 'name="item-6-verdict"' in page and "完成稽核並簽章歸檔附件4" in page
    verdicts = {f"item-{n}-verdict": "conform" for n in range(1, 25)}
    refused = client.post(f"/inspections/{audit_id}/results", data={"csrf": csrf, **verdicts,
                                                                    "item-6-verdict": "nonconform", "action": "save"})
    assert refused.status_code == 400 and 'id="item-6-verdict-note-error"' in refused.data.decode()
    assert 'value="nonconform" id="item-6-verdict-nonconform" checked' in refused.data.decode()  # kept
    saved = client.post(f"/inspections/{audit_id}/results", data={
        "csrf": csrf, **verdicts, "item-6-verdict": "nonconform", "item-6-verdict-note": "未採VPN", "action": "save"})
    assert saved.status_code == 303
    finding = client.post(f"/inspections/{audit_id}/findings", data={
        "csrf": csrf, "finding-item": "6", "finding-issue": "未全面採VPN傳輸", "finding-action": "改採VPN",
        "finding-due": "116/06/30"})
    assert finding.status_code == 303
    finished = client.post(f"/inspections/{audit_id}/results", data={"csrf": csrf, "action": "finish"},
                           follow_redirects=True)
    assert finished.status_code == 200 and "已完成稽核" in finished.data.decode()
    record_id = client.get(f"/api/v1/inspections/{audit_id}", headers=provider).json["record_id"]
    assert f'href="/records/{record_id}"' in finished.data.decode()

    csrf = _sign_in(client, catalog, "sara", "379010000A", "staff")
    replied = client.post(f"/inspections/{audit_id}/findings/1/reply",
                          data={"csrf": csrf, "finding-1-reply": "已改採VPN，北市稽資字第1163000001號函復"},
                          follow_redirects=True)
    assert "已函復" in replied.data.decode()
    csrf = _sign_in(client, catalog, "peter", "A15000000E", "provider")
    closed = client.post(f"/inspections/{audit_id}/findings/1/close", data={"csrf": csrf}, follow_redirects=True)
    assert "已結案" in closed.data.decode()


def test_the_provider_acknowledges_an_incident_on_its_page(client, catalog, clock):
    unit = bearer(catalog, "379010000A", "staff")
    clock.at = at("2026-11-18")
    record_id = client.post("/api/v1/forms/incident-report/records", headers=unit,
                            json=load_example("incident-report")).json["record_id"]
    csrf = _sign_in(client, catalog, "paul", "A15000000E", "provider")
    page = client.get("/incidents").data.decode()
    assert "尚未送達" in page and "確認收悉" in page and "115/11/18 09:40" in page  # Taipei time
    done = client.post(f"/incidents/{record_id}/acknowledge", data={"csrf": csrf}, follow_redirects=True)
    assert "頁面確認收悉" in done.data.decode() and "尚未送達" not in done.data.decode()


def test_an_incident_whose_recording_was_interrupted_is_recovered_by_the_hourly_run(fake_components, catalog,
                                                                                  clock):
    """The record archived, then the service stopped before the incident was recorded: the next
    hourly run records it, so it is due (and reported) like any other."""
    from forms_service.access import Actor, Role

    clock.at = at("2026-11-18")
    unit = Actor(id="user:sara", agency="379010000A", role=Role.STAFF)
    produced = signed_form(fake_components, "incident-report", load_example("incident-report"))
    stored = fake_components.archive.submit(produced, unit)  # no after-filing step: as if interrupted
    assert catalog.incidents() == []
    fake_components.send_due_reminders()
    [incident] = catalog.incidents()
    assert incident.record_id == stored.record_id and incident.reported_at is None
    assert [i.kind for i in fake_components.due_items()] == ["incident-report"]
