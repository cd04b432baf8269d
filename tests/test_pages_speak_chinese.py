"""Every page each role opens, and the errors it can provoke, read in Traditional Chinese: a walk over
the pages (Flask's test client) that fails on any English word a person would read — an English
sentence, a role id, a validator's text, a certificate subject's keys — outside codes, names and
units the page was given (PDF, PAdES, 統一編號 digits, the users' own account names)."""

from __future__ import annotations

import re

import pytest

from forms_service.access import LOCAL_OPERATOR
from forms_service.access.users import create_user
from tests.conftest import load_example, signed_form
from tests.test_web_pages import PASSWORD, csrf, sign_in

PEOPLE = [("sara", "379000000A", "staff"), ("alice", "379000000A", "clerk"), ("paul", "A15000000E", "provider"),
          ("ada", "000000000D", "admin"), ("tina", "379000000A", "auditor")]
# Codes and units people meet as they are: file formats, the signature standard and its levels, the
# protections 規範 六(一)2(3) names, the demo's certificate names.
ALLOWED = {"PDF", "PAdES", "LTA", "API", "CSV", "JSON", "IP", "VPN", "TLS", "SHA", "DEMO", "Forms", "Service",
           "Agency", "Provider", "Excel", "Big", "UTF", "PIN", "HiPKI", "HiCOS", "PKCS", "IPv"}
MISSING = "rec_" + "0" * 32


def english_words(html: str, names: set[str]) -> set[str]:
    """The Latin-letter words of the page's main part a person reads (not its markup, not a code)."""
    main = html[html.index("<main>"):html.index("</main>")] if "<main>" in html else html
    main = re.sub(r"<(script|style|code)[^>]*>.*?</\1>", " ", main, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", main)
    text = re.sub(r"(?:rec|drf|ins|bat)_[0-9a-zA-Z]+|\S+@\S+|https?://\S+|/\S+", " ", text)
    return {w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED | names}


@pytest.fixture
def walk(client, catalog, fake_components):
    record = fake_components.archive.submit(
        signed_form(fake_components, "annex1-interface", load_example("annex1-interface")), LOCAL_OPERATOR)
    for username, agency, role in PEOPLE:
        create_user(catalog, username=username, password=PASSWORD, agency=agency, role=role)
    return record.record_id


PAGES = ["/due", "/records", "/records?all=1", "/records/{r}", "/records/{r}/verification", "/connections",
         "/connections/{r}", "/forms", "/forms/annex1-interface/new", "/forms/annex4-audit-checklist/new",
         "/forms/annex5-query-log/new", "/forms/security-test/new", "/drafts", "/batches", "/countersign",
         "/inspections", "/incidents", "/query-logs", "/my-queries", "/admin/agencies", "/admin/users",
         "/admin/tokens", "/admin/signers", "/admin/query-reviewers", "/no-such-page", f"/records/{MISSING}",
         f"/forms/annex1-interface/new?from={MISSING}", "/query-logs?system=x&month=115/13",
         "/records?from=115/02/30&all=1"]


def test_every_page_and_refusal_each_role_meets_reads_in_chinese(client, walk):
    names = {username for username, _, _ in PEOPLE}
    found: dict[str, set[str]] = {}
    for username, _, _ in PEOPLE:
        client.post("/logout", data={"csrf": csrf(client, "/login")})
        sign_in(client, username)
        for path in PAGES:
            answer = client.get(path.format(r=walk))
            assert answer.status_code < 500, path
            for word in english_words(answer.data.decode(), names):
                found.setdefault(word, set()).add(f"{username} {path}")
    assert sorted(f"{w}: {sorted(where)[0]}" for w, where in found.items()) == []


def test_a_refused_form_reads_in_chinese(client, walk):
    sign_in(client, "sara")
    refused = client.post("/forms/annex2-agreement/new", data={
        "csrf": csrf(client, "/forms"), "action": "check", "party.code": "379", "period.start": "115/13/45",
        "contact.email": "not-an-address", "users.0.account": "x" * 400})
    assert refused.status_code == 422
    typed = {"not", "address"}  # the e-mail address as typed, shown back in its sentence
    assert english_words(refused.data.decode(), {"sara"} | typed) == set()


def test_the_walk_would_see_english():
    page = "<main><p>the role clerk cannot fill forms（只有承辦人）</p><code>POST /api/v1/batches</code></main>"
    assert english_words(page, set()) == {"the", "role", "clerk", "cannot", "fill", "forms"}
