"""The HTTP API: create a record, read it back, download its PDF — and the refusals.

On the unit stack (fakes); the round trip also runs on the real components."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import time

import pytest

from forms_service.access.tokens import create_token
from forms_service.catalog import RecordFilter
from forms_service.web import create_app
from storage.s3 import S3ObjectStore
from storage.seaweed import free_port
from tests.conftest import pdftotext, squeeze


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("stack", ["fakes", pytest.param("real", marks=pytest.mark.integration)])
def test_round_trip_post_then_metadata_then_pdf_with_the_same_sha256(request, stack, staff_token, example):
    client = request.getfixturevalue("client" if stack == "fakes" else "real_client")
    created = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                          headers=auth(staff_token))
    assert created.status_code == 201, created.json
    body = created.json
    assert body["version"] == 1 and body["version_id"] and len(body["sha256"]) == 64
    assert created.headers["Location"] == f"/api/v1/records/{body['record_id']}"

    meta = client.get(f"/api/v1/records/{body['record_id']}", headers=auth(staff_token))
    assert meta.status_code == 200
    [version] = meta.json["versions"]
    assert version["sha256"] == body["sha256"]
    assert version["retention"]["mode"] == "GOVERNANCE"
    assert version["signature_report"][0]["valid"] is True
    assert meta.json["agency"] == {"name": "臺北市政府財政局", "code": "379000000A"}

    pdf = client.get(f"/api/v1/records/{body['record_id']}/pdf", headers=auth(staff_token))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert hashlib.sha256(pdf.data).hexdigest() == body["sha256"] == pdf.headers["X-Content-SHA256"]


def test_every_creation_and_retrieval_is_in_the_audit_log(client, staff_token, example, catalog):
    rid = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                      headers=auth(staff_token)).json["record_id"]
    client.get(f"/api/v1/records/{rid}", headers=auth(staff_token))
    client.get(f"/api/v1/records/{rid}/pdf?version=1", headers=auth(staff_token))
    actions = [e.action for e in reversed(catalog.audit_events(record_id=rid))]
    assert actions == ["record.create", "record.read", "record.download"]


def test_a_wrong_field_is_a_422_naming_its_path(client, staff_token, example):
    data = example("annex2-agreement")
    data["period"]["end"] = "民國112年2月29日"
    response = client.post("/api/v1/forms/annex2-agreement/records", json=data, headers=auth(staff_token))
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert [e["path"] for e in error["errors"]] == ["period.end"]


def test_a_body_that_is_not_json_is_a_400(client, staff_token):
    response = client.post("/api/v1/forms/annex2-agreement/records", data="{oops",
                           headers={**auth(staff_token), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"


def test_no_token_is_a_401_and_nothing_is_created(client, example, catalog):
    response = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert catalog.find_records(RecordFilter()) == []


def test_a_bad_token_is_a_401(client):
    response = client.get("/api/v1/records/rec_x", headers=auth("fst_not-a-token"))
    assert response.status_code == 401


def test_an_unknown_form_is_a_404(client, staff_token):
    response = client.post("/api/v1/forms/annex9/records", json={}, headers=auth(staff_token))
    assert response.status_code == 404
    assert "annex2-agreement" in response.json["error"]["message"]


def test_staff_cannot_file_a_form_for_another_agency(client, catalog, example):
    other = create_token(catalog, agency="387000000A", role="staff")
    response = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                           headers=auth(other))
    assert response.status_code == 403
    assert response.json["error"]["errors"][0]["path"] == "party.code"


def test_another_agencys_record_answers_404_and_the_attempt_is_logged(client, staff_token, catalog, example):
    rid = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                      headers=auth(staff_token)).json["record_id"]
    other = create_token(catalog, agency="387000000A", role="clerk")
    assert client.get(f"/api/v1/records/{rid}", headers=auth(other)).status_code == 404
    assert client.get(f"/api/v1/records/{rid}/pdf", headers=auth(other)).status_code == 404
    refused = [e for e in catalog.audit_events(record_id=rid) if e.outcome == "refused"]
    assert len(refused) == 2 and refused[0].agency == "387000000A"


def test_the_forms_list_and_schema_are_served(client):
    forms = client.get("/api/v1/forms").json["forms"]
    assert "annex2-agreement" in [f["id"] for f in forms]
    schema = client.get("/api/v1/forms/annex2-agreement/schema").json
    assert {"party", "user_unit", "legal_basis", "purpose", "period", "representative", "contact",
            "signed_on", "extra_clauses"} <= set(schema["properties"])


def test_readyz_reports_each_component_and_livez_only_that_the_process_answers(client):
    for path in ("/readyz", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200
        assert set(response.json["checks"]) == {"catalog", "store", "converter", "signer", "tsa", "jobs"}
    assert client.get("/livez").json == {"ok": True}


def test_readyz_names_the_part_that_is_down(fake_components):
    from forms_service.repositories import SqlCatalog

    dead = f"127.0.0.1:{free_port()}"
    broken = {
        "store": fake_components.sharing(store=S3ObjectStore(
            endpoint=dead, access_key="a", secret_key="b", bucket="records", timeout=1.0)),
        "catalog": fake_components.sharing(catalog=SqlCatalog(
            f"postgresql+psycopg://postgres@{dead}/none?connect_timeout=2")),
        "tsa": fake_components.sharing(signing=dataclasses.replace(
            fake_components.signing, tsa_url=f"http://{dead}/tsa")),
        "jobs": fake_components.sharing(settings=dataclasses.replace(
            fake_components.settings, jobs_url=f"redis://{dead}/0")),
    }
    for part, components in broken.items():
        client = create_app(components.settings, components=components).test_client()
        started = time.monotonic()
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json["error"]["message"] == f"not ready: {part}"
        assert response.json["error"]["checks"][part]["ok"] is False
        assert time.monotonic() - started < 10
        assert client.get("/livez").status_code == 200  # alive all the same


class _ConverterWithNoWorkerAlive:
    """A converter pool whose workers are all down (as ``LibreOfficePool.status`` reports them)."""

    def status(self) -> list[dict]:
        return [{"worker": 0, "alive": False, "restarts": 3}, {"worker": 1, "alive": False, "restarts": 3}]


def test_readyz_names_a_converter_with_no_worker_alive(fake_components):
    components = fake_components.sharing(converter=_ConverterWithNoWorkerAlive())
    response = create_app(components.settings, components=components).test_client().get("/readyz")
    assert response.status_code == 503 and response.json["error"]["message"] == "not ready: converter"
    assert [w["alive"] for w in response.json["error"]["checks"]["converter"]["workers"]] == [False, False]


def test_store_down_is_a_503_fast_and_leaves_no_catalog_row(fake_components, catalog, example):
    dead = S3ObjectStore(endpoint=f"127.0.0.1:{free_port()}", access_key="a", secret_key="b",
                         bucket="records", timeout=1.0)
    broken = fake_components.sharing(store=dead)
    client = create_app(broken.settings, components=broken).test_client()
    token = create_token(catalog, agency="379000000A", role="staff")
    response = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                           headers=auth(token))
    assert response.status_code == 503
    assert response.json["error"]["code"] == "storage_unavailable"
    assert catalog.find_records(RecordFilter()) == []


def test_times_are_reported_in_utc_with_their_offset(client, staff_token, example):
    rid = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                      headers=auth(staff_token)).json["record_id"]
    meta = client.get(f"/api/v1/records/{rid}", headers=auth(staff_token)).json
    assert meta["created_at"].endswith("+00:00")
    assert meta["versions"][0]["retention"]["retain_until"].endswith("+00:00")


class _AbsentToken:
    """A signer provider whose token has been pulled out."""

    def signer(self):
        from signing import SignerUnavailable

        raise SignerUnavailable("the signing token is not present")

    def close(self):
        pass


def test_a_signing_failure_is_a_503_and_stores_nothing(fake_components, memory_store, catalog, example,
                                                        monkeypatch):
    """The agency's key is registered but its token is not in the reader."""
    broken = fake_components.sharing()
    monkeypatch.setattr(broken.signers, "agency_key", lambda code, name: (None, _AbsentToken()))
    client = create_app(broken.settings, components=broken).test_client()
    token = create_token(catalog, agency="379000000A", role="staff")
    response = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                           headers=auth(token))
    assert response.status_code == 503
    assert "token is not present" in response.json["error"]["message"]
    assert catalog.find_records(RecordFilter()) == []
    assert memory_store.snapshot() == {}


def test_a_retried_post_with_the_same_idempotency_key_returns_the_first_result(client, staff_token, example, catalog):
    headers = {**auth(staff_token), "Idempotency-Key": "agreement-2026-001"}
    first = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"), headers=headers)
    again = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(catalog.find_records(RecordFilter())) == 1


def test_an_idempotency_key_reused_for_another_body_is_a_409(client, staff_token, example, catalog):
    headers = {**auth(staff_token), "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                       headers=headers).status_code == 201
    other = example("annex2-agreement")
    other["purpose"] = "另一個用途"
    response = client.post("/api/v1/forms/annex2-agreement/records", json=other, headers=headers)
    assert response.status_code == 409
    assert len(catalog.find_records(RecordFilter())) == 1


def test_a_failed_request_frees_its_idempotency_key_for_the_retry(fake_components, catalog, example):
    dead = S3ObjectStore(endpoint=f"127.0.0.1:{free_port()}", access_key="a", secret_key="b",
                         bucket="records", timeout=1.0)
    token = create_token(catalog, agency="379000000A", role="staff")
    headers = {**auth(token), "Idempotency-Key": "retry-me"}
    broken_components = fake_components.sharing(store=dead)
    broken = create_app(broken_components.settings, components=broken_components).test_client()
    assert broken.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                       headers=headers).status_code == 503
    working = create_app(fake_components.settings, components=fake_components).test_client()
    assert working.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                        headers=headers).status_code == 201


def test_search_is_scoped_to_the_callers_agency_and_filters_by_subject(client, staff_token, catalog, example):
    client.post("/api/v1/forms/annex5-query-log/records", json=example("annex5-query-log"),
                headers=auth(create_token(catalog, agency="379010000A", role="staff")))
    clerk = create_token(catalog, agency="379010000A", role="clerk")
    other = create_token(catalog, agency="387000000A", role="clerk")
    found = client.get("/api/v1/records?subject=22099131&form=annex5-query-log", headers=auth(clerk)).json["records"]
    assert len(found) == 1 and found[0]["agency"]["code"] == "379010000A"
    assert client.get("/api/v1/records?subject=22099131", headers=auth(other)).json["records"] == []
    assert client.get("/api/v1/records?agency=379010000A", headers=auth(other)).json["records"] == []
    bad = client.get("/api/v1/records?from=115/02/30", headers=auth(clerk))
    assert bad.status_code == 400 and bad.json["error"]["field"] == "from"


def test_identifiers_typed_in_full_width_are_stored_and_found_in_their_normal_form(client, catalog, example):
    """２２０９９１３１ and ａ lower-case, full-width 機關代碼 are what people type; the record holds
    22099131 and 379010000A, and a search in full width finds it."""
    data = example("annex5-query-log")
    data["entries"][0]["business_id"] = "２２０９９１３１"
    data["user_unit"]["code"] = "３７９０１００００ａ"
    data["review"]["reviewed_on"] = "民國一一五年十二月二日"
    staff = create_token(catalog, agency="379010000A", role="staff")
    created = client.post("/api/v1/forms/annex5-query-log/records", json=data, headers=auth(staff))
    assert created.status_code == 201, created.json
    record = client.get(f"/api/v1/records/{created.json['record_id']}", headers=auth(staff)).json
    assert record["input"]["entries"][0]["business_id"] == "22099131"
    assert record["input"]["user_unit"]["code"] == "379010000A"
    assert record["input"]["review"]["reviewed_on"] == "2026-12-02"
    clerk = create_token(catalog, agency="379010000A", role="clerk")
    found = client.get("/api/v1/records?subject=２２０９９１３１", headers=auth(clerk)).json["records"]
    assert [r["record_id"] for r in found] == [created.json["record_id"]]


def test_the_stated_purpose_and_case_number_of_a_retrieval_are_audited(client, staff_token, catalog, example):
    rid = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                      headers=auth(staff_token)).json["record_id"]
    client.get(f"/api/v1/records/{rid}/pdf", headers={**auth(staff_token), "X-Purpose": "年度查核",
                                                      "X-Case-Number": "北市稽字第1150000001號"})
    [download] = [e for e in catalog.audit_events(record_id=rid) if e.action == "record.download"]
    assert download.detail["purpose"] == "年度查核" and download.detail["case_no"] == "北市稽字第1150000001號"


def test_a_required_purpose_missing_is_a_400_naming_it(fake_components, catalog, example):
    strict = fake_components.sharing(settings=fake_components.settings.replace(require_purpose=True))
    client = create_app(strict.settings, components=strict).test_client()
    token = create_token(catalog, agency="379000000A", role="staff")
    rid = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                      headers=auth(token)).json["record_id"]
    missing = client.get(f"/api/v1/records/{rid}", headers=auth(token))
    assert missing.status_code == 400 and missing.json["error"]["field"] == "purpose"
    assert client.get(f"/api/v1/records/{rid}?purpose=稽核", headers=auth(token)).status_code == 200


def test_a_catalog_outage_while_reserving_an_idempotency_key_is_a_503(fake_components, staff_token, example):
    from tests.contract.test_catalog import dead_catalog

    dead = fake_components.sharing(catalog=dead_catalog())
    client = create_app(dead.settings, components=dead).test_client()
    response = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                           headers={**auth(staff_token), "Idempotency-Key": "k-503"})
    # the token lookup is the first thing to need the database: the same clear 503
    assert response.status_code == 503 and response.json["error"]["code"] == "catalog_unavailable"


def test_an_archived_file_altered_in_the_store_is_refused_and_the_read_audited(client, staff_token, example,
                                                                              memory_store, catalog):
    created = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                          headers=auth(staff_token)).json
    [version] = catalog.get_record(created["record_id"]).versions
    # someone with direct access swaps the bytes and forges the store's own checksum to match
    altered = b"%PDF-1.7 forged"
    memory_store.put_unchecked(version.object_key, altered, metadata={"sha256": hashlib.sha256(altered).hexdigest()})
    memory_store.delete_unchecked(version.object_key, version.object_version)
    forged_id = memory_store.snapshot()[version.object_key][-1]
    from sqlalchemy import update

    from forms_service.catalog.models import VersionRow

    with catalog.engine.begin() as connection:  # and points the catalog row at the forged version
        connection.execute(update(VersionRow).values(object_version=forged_id))
    response = client.get(f"/api/v1/records/{created['record_id']}/pdf", headers=auth(staff_token))
    assert response.status_code == 500 and response.json["error"]["code"] == "integrity_mismatch"
    [failure] = [e for e in catalog.audit_events(record_id=created["record_id"]) if e.action == "record.integrity"]
    assert failure.outcome == "failed" and failure.detail["expected"] == version.sha256
    assert not [e for e in catalog.audit_events(record_id=created["record_id"]) if e.action == "record.download"]


def test_a_register_over_the_stated_maximum_is_named_and_the_largest_fits_the_request_limit(client, catalog):
    from forms_service.forms.annex5_query_log import MAX_ENTRIES

    token = create_token(catalog, agency="379010000A", role="staff")
    data = example_input_with_entries(MAX_ENTRIES + 1)
    too_many = client.post("/api/v1/forms/annex5-query-log/records", json=data, headers=auth(token))
    assert too_many.status_code == 422
    [problem] = too_many.json["error"]["errors"]
    assert problem["path"] == "entries" and "請將此月份分成數份登記表" in problem["message"]
    largest = example_input_with_entries(MAX_ENTRIES)
    largest["review"]["result"] = "unknown"  # stop at validation: the body itself was accepted
    response = client.post("/api/v1/forms/annex5-query-log/records", json=largest, headers=auth(token))
    assert response.status_code == 422 and response.json["error"]["errors"][0]["path"] == "review.result"


def example_input_with_entries(count: int) -> dict:
    from tests.conftest import load_example

    data = load_example("annex5-query-log")
    template = data["entries"][0]
    data["entries"] = [{**template, "note": "備註" * 20} for _ in range(count)]
    return data


def test_each_version_carries_the_pdfa_verdict_of_its_converted_document(client, staff_token, example):
    created = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                          headers=auth(staff_token)).json
    record = client.get(f"/api/v1/records/{created['record_id']}", headers=auth(staff_token)).json
    assert record["versions"][0]["pdfa"]["verdict"] == "pass"
    assert record["versions"][0]["pdfa"]["flavour"] == "PDF/A-2b"


class _NotPdfA:
    """A converter whose output is a valid PDF but not PDF/A: a font left out, no output intent."""

    def convert(self, docx, *, tagged=True, caller=""):
        import pikepdf

        document = pikepdf.new()
        document.add_blank_page()
        font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
        page = document.pages[0]
        page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        page.Contents = document.make_stream(b"BT /F1 12 Tf 72 720 Td (not archival) Tj ET")
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()

    def close(self):
        """Nothing to release: it starts no LibreOffice."""


def test_a_conversion_that_fails_the_pdfa_check_is_an_error_and_nothing_is_stored(fake_components, catalog,
                                                                                 memory_store, example):
    broken = fake_components.sharing(converter=_NotPdfA())
    client = create_app(broken.settings, components=broken).test_client()
    token = create_token(catalog, agency="379000000A", role="staff")
    response = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                           headers=auth(token))
    assert response.status_code == 503 and response.json["error"]["code"] == "conversion_failed"
    assert "not PDF/A-2b" in response.json["error"]["message"]
    assert catalog.find_records(RecordFilter()) == [] and memory_store.snapshot() == {}


def test_a_form_that_disagrees_with_its_application_is_a_422_naming_both_fields(client, staff_token, example):
    application = client.post("/api/v1/forms/annex1-interface/records", json=example("annex1-interface"),
                              headers=auth(staff_token))
    assert application.status_code == 201, application.json
    agreement = {**example("annex2-agreement"), "related_record": application.json["record_id"],
                 "purpose": "房屋稅稽徵"}
    response = client.post("/api/v1/forms/annex2-agreement/records", json=agreement, headers=auth(staff_token))
    assert response.status_code == 422
    [problem] = response.json["error"]["errors"]
    assert problem["path"] == "purpose" and problem["code"] == "differs_from_application"
    assert "與介接案附件1 所載不同" in problem["message"]
    agreement["purpose"] = example("annex2-agreement")["purpose"]
    created = client.post("/api/v1/forms/annex2-agreement/records", json=agreement, headers=auth(staff_token))
    assert created.status_code == 201, created.json
    # The signed agreement says what it rests on in words, its 紀錄編號 after them as the exact reference.
    pdf = client.get(f"/api/v1/records/{created.json['record_id']}/pdf", headers=auth(staff_token)).data
    title = client.get(f"/api/v1/records/{application.json['record_id']}", headers=auth(staff_token)).json["title"]
    assert squeeze(f"所據附件1 {title}，中華民國") in squeeze(pdftotext(pdf))
    assert squeeze(f"歸檔（紀錄編號 {application.json['record_id']}）") in squeeze(pdftotext(pdf))


def test_a_related_record_of_another_agency_is_as_unknown_as_a_missing_one(client, catalog, staff_token, example):
    application = client.post("/api/v1/forms/annex1-interface/records", json=example("annex1-interface"),
                              headers=auth(staff_token)).json["record_id"]
    other = create_token(catalog, agency="A15000000E", role="staff")
    data = example("annex3-requirements")
    data["applicant"]["code"] = "A15000000E"
    for record_id in (application, "rec_" + "f" * 32):
        response = client.post("/api/v1/forms/annex3-requirements/records",
                               json={**data, "related_record": record_id}, headers=auth(other))
        assert response.status_code == 422
        assert [e["path"] for e in response.json["error"]["errors"]] == ["related_record"]
        assert "找不到此紀錄，或您的機關不能引用它" in response.json["error"]["errors"][0]["message"]


def test_the_user_unit_files_its_register_against_the_applicants_application(client, catalog, staff_token, example):
    """附件5 belongs to the 資料使用單位; the 附件1 it refers to was filed by the 申請介接單位."""
    application = client.post("/api/v1/forms/annex1-interface/records", json=example("annex1-interface"),
                              headers=auth(staff_token)).json["record_id"]
    unit = create_token(catalog, agency="379010000A", role="staff")
    data = {**example("annex5-query-log"), "related_record": application}
    data["entries"][0]["user"] = {"name": "李小華", "account": "tp-lee"}
    response = client.post("/api/v1/forms/annex5-query-log/records", json=data, headers=auth(unit))
    assert response.status_code == 422
    assert [e["path"] for e in response.json["error"]["errors"]] == ["entries[0].user"]


def test_a_source_network_open_to_all_is_a_422_naming_it(client, staff_token, example):
    data = example("annex1-interface")
    data["security"]["source_ips"] = ["0.0.0.0/0"]
    response = client.post("/api/v1/forms/annex1-interface/records", json=data, headers=auth(staff_token))
    assert response.status_code == 422
    assert [e["path"] for e in response.json["error"]["errors"]] == ["security.source_ips[0]"]


def test_a_request_id_is_answered_and_kept_in_the_audit_entries(client, catalog, staff_token, example):
    given = client.post("/api/v1/forms/annex2-agreement/records", json=example("annex2-agreement"),
                        headers={**auth(staff_token), "X-Request-ID": "lb-7f3a.42"})
    assert given.status_code == 201 and given.headers["X-Request-ID"] == "lb-7f3a.42"
    record_id = given.json["record_id"]
    read = client.get(f"/api/v1/records/{record_id}", headers={**auth(staff_token), "X-Request-ID": "bad id; drop"})
    made_up = read.headers["X-Request-ID"]
    assert len(made_up) == 32 and made_up != "bad id"  # not a plain token: a new one instead
    entries = {e.action: e for e in catalog.audit_events(record_id=record_id)}
    assert entries["record.create"].detail["request_id"] == "lb-7f3a.42"
    assert entries["record.read"].detail["request_id"] == made_up
    assert catalog.verify_audit_chain()[1] == ""  # the id is part of what the chain covers
