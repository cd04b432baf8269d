"""Query events in (規範 六(四)2): a business system posts them with its own token, as a JSON array or
JSON Lines; each bad item is named and the good ones kept; a retry never doubles an event; the
token can do nothing else.  The same events from a CSV export, by the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from forms_service.access.tokens import create_token
from forms_service.errors import InputError

SYSTEM = "稅務資料整合查詢系統"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def event(n: int, **changes) -> dict:
    data = {"event_id": f"ev-{n}", "at": f"2026-11-{n % 28 + 1:02d}T09:15:00+08:00", "system": SYSTEM,
            "user": {"name": "王小明", "account": "tp-wang"}, "subject": {"business_id": "22099131"},
            "purpose": "營業稅籍查核", "case_no": f"北市稽字第1153{n:06d}號"}
    data.update(changes)
    return data


@pytest.fixture
def system_token(catalog):
    # bound to a connection the catalog does not know: its events are checked against none
    return create_token(catalog, agency="379010000A", role="system", system=SYSTEM, connection_id="rec_unknown")


def test_a_batch_is_stored_once_whatever_the_retries(client, catalog, system_token):
    batch = [event(n) for n in range(50)]
    first = client.post("/api/v1/query-events", json=batch, headers=auth(system_token))
    assert first.status_code == 200 and first.json == {"accepted": 50, "duplicates": [], "refused": []}
    again = client.post("/api/v1/query-events", json=batch[40:] + [event(50)], headers=auth(system_token))
    assert again.json["accepted"] == 1 and len(again.json["duplicates"]) == 10
    stored = catalog.query_events(agency="379010000A", system=SYSTEM, start=datetime(2026, 11, 1, tzinfo=timezone.utc),
                                  end=datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert sorted(e.event_id for e in stored) == sorted(f"ev-{n}" for n in range(51))
    assert any(e.action == "query-events.post" for e in catalog.audit_events())


def test_each_bad_item_is_named_and_the_others_kept(client, catalog, system_token):
    batch = [event(1), event(2, at="2026-11-03T09:15:00"), event(3, subject={}), event(4, system="別的系統"),
             event(5, user={"name": "王小明"}), "not an object", event(1), event(6, subject={"name": "陳大文"})]
    answer = client.post("/api/v1/query-events", json=batch, headers=auth(system_token)).json
    assert answer["accepted"] == 2 and answer["duplicates"] == ["ev-1"]  # ev-1 twice in one batch
    refused = {r["index"]: [e["path"] for e in r["errors"]] for r in answer["refused"]}
    assert refused == {1: ["at"], 2: ["subject"], 3: ["system"], 4: ["user.account"], 5: [""]}


def test_json_lines_are_taken_too(client, system_token):
    body = "\n".join(json.dumps(event(n), ensure_ascii=False) for n in range(3)) + "\n"
    answer = client.post("/api/v1/query-events", data=body.encode(),
                         headers={**auth(system_token), "Content-Type": "application/x-ndjson"})
    assert answer.json["accepted"] == 3
    broken = client.post("/api/v1/query-events", data=b'{"event_id": 1}\n{oops\n',
                         headers={**auth(system_token), "Content-Type": "application/x-ndjson"})
    assert broken.status_code == 400 and "line 2" in broken.json["error"]["message"]


def test_a_system_token_does_nothing_else_and_others_cannot_post_events(client, catalog, system_token, staff_token):
    assert client.get("/api/v1/records", headers=auth(system_token)).status_code == 403
    assert client.post("/api/v1/forms/annex2-agreement/records", json={}, headers=auth(system_token)).status_code == 403
    assert client.post("/api/v1/query-events", json=[event(1)], headers=auth(staff_token)).status_code == 403


def test_a_system_token_names_its_system_and_people_are_not_systems(catalog):
    from forms_service.access.users import create_user

    with pytest.raises(InputError, match="--system"):
        create_token(catalog, agency="379010000A", role="system", connection_id="rec_x")
    with pytest.raises(InputError, match="--connection"):
        create_token(catalog, agency="379010000A", role="system", system=SYSTEM)
    with pytest.raises(InputError, match="--system"):
        create_token(catalog, agency="379010000A", role="clerk", system=SYSTEM)
    with pytest.raises(InputError, match="--connection"):
        create_token(catalog, agency="379010000A", role="clerk", connection_id="rec_x")
    with pytest.raises(InputError, match="not a person"):
        create_user(catalog, username="bot", password="correct horse battery", agency="379010000A", role="system")


def test_the_csv_import_stores_each_event_once_and_names_refused_lines(runner, tmp_path):
    from forms_service.components import open_catalog
    from forms_service.settings import Settings

    source = tmp_path / "export.csv"
    rows = ["event_id,at,user_name,user_account,business_id,subject_name,purpose,case_no"]
    rows += [f"ev-{n},2026-11-0{n % 9 + 1}T10:00:00,王小明,tp-wang,22099131,,營業稅籍查核,案{n}" for n in range(20)]
    rows += ["ev-bad-1,2026-11-05T10:00:00,王小明,tp-wang,12345678,,營業稅籍查核,",
             "ev-bad-2,yesterday,王小明,tp-wang,,陳大文,營業稅籍查核,"]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = runner("query-events", "import", str(source), "--agency", "379010000A", "--system", SYSTEM)
    assert result.exit_code == 2
    assert "line 22: subject.business_id" in result.stdout and "line 23: at" in result.stdout
    assert "22 row(s): 20 accepted, 0 duplicate, 2 refused" in result.stdout
    again = runner("query-events", "import", str(source), "--agency", "379010000A", "--system", SYSTEM)
    assert "22 row(s): 0 accepted, 20 duplicate, 2 refused" in again.stdout
    catalog = open_catalog(Settings.load(environ={}, data_dir=runner.data_dir))
    stored = catalog.query_events(agency="379010000A", system=SYSTEM, start=datetime(2026, 11, 1, tzinfo=timezone.utc),
                                  end=datetime(2026, 12, 1, tzinfo=timezone.utc))
    catalog.close()
    assert len(stored) == 20 and stored[0].at.utcoffset() is not None
    assert stored[0].data["at"].endswith("+08:00")  # a time without an offset is Taipei time


def test_a_deeply_nested_batch_is_a_400_naming_the_body(client, system_token):
    deep = b"[" * 100_000 + b"]" * 100_000
    for content_type in ("application/json", "application/x-ndjson"):
        answer = client.post("/api/v1/query-events", data=deep, headers={**auth(system_token),
                                                                        "Content-Type": content_type})
        assert answer.status_code == 400 and answer.json["error"]["field"] == "body"


def test_a_query_of_1999_or_2099_is_refused_naming_its_time(client, system_token, clock):
    from datetime import datetime, timezone

    clock.at = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    batch = [event(1, at="1999-11-03T09:15:00+08:00"), event(2, at="2099-11-03T09:15:00+08:00"),
             event(3, at="2026-11-21T09:15:00+08:00"),  # tomorrow in Taipei: a clock running ahead, taken
             event(4, at="2026-11-22T12:00:00+08:00"),  # later than tomorrow: refused
             event(5, at="2025-11-03T09:15:00+08:00")]  # within the window (400 days): taken
    answer = client.post("/api/v1/query-events", json=batch, headers=auth(system_token)).json
    assert answer["accepted"] == 2
    assert {r["event_id"]: r["errors"][0]["code"] for r in answer["refused"]} == {
        "ev-1": "outside_window", "ev-2": "outside_window", "ev-4": "outside_window"}
    assert "88/11/03" in answer["refused"][0]["errors"][0]["message"]
