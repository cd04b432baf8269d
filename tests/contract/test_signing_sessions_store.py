"""The signing sessions' repository contract, on SQLite and PostgreSQL: a prepared document (up to
megabytes) kept whole between a card's two steps, ended exactly once — by the request that completes
it, its refusal or its expiry — with nothing left of it but its audit entries."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from forms_service.catalog import NewAuditEvent
from forms_service.filing.session_store import SigningSession, SqlSigningSessions


def session(session_id: str, *, expires_in: timedelta = timedelta(minutes=15), document: bytes = b"%PDF") \
        -> SigningSession:
    now = datetime.now(timezone.utc)
    return SigningSession(
        id=session_id, actor="user:wang", agency="379000000A", form_id="annex1-interface", block="officer",
        certificate=b"\x30\x82\x01", document=document, original_length=len(document) - 1, to_be_signed=b"\x31\x00",
        document_digest=b"\x00" * 32, reserved_start=100, reserved_end=200, md_algorithm="sha256",
        signing_time=now, created_at=now, expires_at=now + expires_in, data={"applicant": {"name": "臺北市政府財政局"}},
        signing_order=["officer", "supervisor", "head"], pages=2, pdfa={"conformant": True})


@pytest.fixture
def sessions(any_catalog) -> SqlSigningSessions:
    return SqlSigningSessions(any_catalog.db)


def test_a_session_is_kept_whole_and_ended_once(sessions, any_catalog):
    document = os.urandom(3 * 1024 * 1024)  # a long register's prepared PDF
    kept = session("ses_a", document=document)
    sessions.add(kept, NewAuditEvent(actor="user:wang", action="signing-session.begin"))
    assert sessions.get("ses_a") == kept
    assert sessions.end("ses_a", NewAuditEvent(actor="user:wang", action="signing-session.end")) is True
    assert sessions.end("ses_a") is False  # a second completion finds nothing
    assert sessions.get("ses_a") is None
    actions = [e.action for e in any_catalog.audit_events(limit=10)]
    assert actions[:2] == ["signing-session.end", "signing-session.begin"]


def test_expired_sessions_are_found_for_the_sweep(sessions):
    sessions.add(session("ses_old", expires_in=timedelta(minutes=-1)), NewAuditEvent(actor="x", action="a"))
    sessions.add(session("ses_new"), NewAuditEvent(actor="x", action="a"))
    assert sessions.expired(datetime.now(timezone.utc)) == ["ses_old"]
