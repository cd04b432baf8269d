"""The oversight repository contract (``connections.store.SqlOversight``), on SQLite and PostgreSQL: the
provider's audits, their work item by item and finding by finding, and incidents reported once."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone

import pytest

from forms_service.connections.store import SqlOversight


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def any_oversight(any_database):
    """The concern's repository alone on a fresh database of each backend."""
    return SqlOversight(any_database)


def test_audits_are_scheduled_and_listed_soonest_first(any_oversight):
    from forms_service.connections.values import Inspection

    later = Inspection(id="insp_2", agency="379010000A", audit_on=date(2027, 3, 1), team="商業發展署 王稽核",
                       scheduled_by="user:paul", scheduled_at=now(), connection_id="rec_app")
    sooner = dataclasses.replace(later, id="insp_1", audit_on=date(2027, 1, 15), agency="379000000A")
    any_oversight.add_inspection(later)
    any_oversight.add_inspection(sooner)
    assert [i.id for i in any_oversight.inspections()] == ["insp_1", "insp_2"]
    assert any_oversight.inspections(agency="379010000A") == [later]


def test_an_audits_work_is_kept_item_by_item_and_finding_by_finding(any_oversight):
    from forms_service.connections.values import Inspection, InspectionFinding, InspectionItem
    from forms_service.errors import NotFound

    audit = Inspection(id="insp_1", agency="379010000A", audit_on=date(2027, 3, 1), team="王稽核",
                       scheduled_by="user:paul", scheduled_at=now())
    any_oversight.add_inspection(audit)
    assert any_oversight.inspection("insp_1") == audit and any_oversight.inspection("insp_x") is None
    sent = dataclasses.replace(audit, answered_at=now(), answered_by="user:sara", filled_by="王小明",
                               filled_title="主任")
    any_oversight.update_inspection(sent)
    assert any_oversight.inspection("insp_1") == sent
    with pytest.raises(NotFound):
        any_oversight.update_inspection(dataclasses.replace(audit, id="insp_x"))

    second = InspectionItem("insp_1", 2, self_result="conform", evidence=("rec_a", "rec_b"), answered_by="user:sara",
                            answered_at=now())
    any_oversight.save_inspection_item(second)
    any_oversight.save_inspection_item(InspectionItem("insp_1", 1, self_result="na"))
    judged = dataclasses.replace(second, result="nonconform", result_note="缺", judged_by="user:paul",
                                 judged_at=now())
    any_oversight.save_inspection_item(judged)  # replaced, not added
    assert any_oversight.inspection_items("insp_1") == [InspectionItem("insp_1", 1, self_result="na"), judged]
    assert any_oversight.inspection_items("insp_x") == []

    finding = InspectionFinding("insp_1", 1, "379010000A", 2, "未採VPN", "改採VPN", date(2027, 4, 30),
                                "user:paul", now())
    any_oversight.save_inspection_finding(finding)
    replied = dataclasses.replace(finding, reply="已改善", replied_by="user:sara", replied_at=now())
    any_oversight.save_inspection_finding(replied)
    any_oversight.save_inspection_finding(dataclasses.replace(finding, number=2, item=None))
    assert [f.number for f in any_oversight.inspection_findings(inspection_id="insp_1")] == [1, 2]
    assert any_oversight.inspection_findings(agency="379010000A")[0] == replied
    assert any_oversight.inspection_findings(agency="379000000A") == []


def test_an_incidents_report_time_is_recorded_once(any_oversight):
    from forms_service.connections.values import Incident

    older = Incident("rec_a", "379010000A", "稅務系統", "rec_app", now() - timedelta(days=2), 2, now())
    newer = dataclasses.replace(older, record_id="rec_b", discovered_at=now(), agency="379000000A")
    any_oversight.add_incident(older)
    any_oversight.add_incident(newer)
    assert [i.record_id for i in any_oversight.incidents()] == ["rec_b", "rec_a"]
    assert any_oversight.set_incident_reported("rec_a", at=now(), how="mail: a@example.org") is True
    assert any_oversight.set_incident_reported("rec_a", at=now() + timedelta(hours=1), how="page: paul") is False
    [found] = any_oversight.incidents(agency="379010000A")
    assert found.reported_how == "mail: a@example.org" and found.reported_at is not None

