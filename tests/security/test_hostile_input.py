"""Hostile input on every API write and every web form: a clear 4xx (or the form again with
its errors), never a 500, nothing saved, and nothing of the input in the logs."""

import json
import logging

import pytest
from django.apps import apps

from audit.models import AuditEvent
from referrals.models import Referral

REF = "{ref}"
# (user attribute on the world, method, path): every API operation that takes a body.
API_WRITES = [
    ("reporter", "post", "/api/v1/referrals/"),
    ("reporter", "put", f"/api/v1/referrals/{REF}/"),
    ("reporter", "post", f"/api/v1/referrals/{REF}/addenda/"),  # free text only
    ("reporter", "post", f"/api/v1/referrals/{REF}/consent/"),
    ("coordinator", "post", f"/api/v1/referrals/{REF}/decisions/"),
    ("coordinator", "post", f"/api/v1/referrals/{REF}/assign/"),
    ("coordinator", "post", f"/api/v1/referrals/{REF}/feedback/"),
    ("coordinator", "post", f"/api/v1/referrals/{REF}/notes/"),
    ("coordinator", "post", "/api/v1/cases/"),
    ("coordinator", "post", "/api/v1/handovers/"),
    ("coordinator", "post", f"/api/v1/referrals/{REF}/exports/"),
    ("liaison", "post", "/api/v1/handovers/HO-UNKNOWN/acknowledge/"),
    ("liaison", "post", "/api/v1/handovers/HO-UNKNOWN/decline/"),
    ("coordinator", "post", "/api/v1/handovers/HO-UNKNOWN/messages/"),
    ("coordinator", "put", "/api/v1/notifications/preferences/"),
    ("auditor", "post", "/api/v1/audit/children/lookup/"),
    ("auditor", "post", "/api/v1/audit/anomalies/1/review/"),
    (None, "post", "/api/v1/auth/token/"),
]

FIELDS = ["child", "categories", "indicators", "duty_triggers", "concern", "text", "kind", "reason",
          "justification", "note", "national_id", "referral", "agency", "type", "legal_basis",
          "scope", "email_events", "digest", "caseworker", "user", "references", "reference",
          "external_reference", "username", "password", "observed_on", "recipient", "purpose", "consent",
          "override", "override_reason"]
NESTED = 100_000
HOSTILE_BODIES = {
    "oversized": b'{"concern": "' + b"x" * 1_100_000 + b'"}',
    "invalid-utf8": b'{"concern": "\xff\xfe\xc3\x28", "text": "\xed\xa0\x80"}',
    "deeply-nested": b"[" * NESTED + b"]" * NESTED,
    "deeply-nested-object": b'{"a":' * NESTED + b"1" + b"}" * NESTED,
    "nul-bytes": json.dumps({field: "Ola\x00Nordmann" for field in FIELDS}).encode(),
    "nul-in-key": b'{"concern\\u0000": "x", "text\\u0000": "x"}',
    "wrong-types": json.dumps({field: [{"x": [1, 2]}] if i % 2 else 12.5 for i, field in enumerate(FIELDS)}).encode(),
    "not-an-object": b'"just a string"',
    "array-body": b"[1, 2, 3]",
    "very-long-strings": json.dumps({field: "x" * 200_000 for field in FIELDS[:4]}).encode(),
    "html-and-script-in-codes": json.dumps({field: "<script>alert(1)</script>" for field in FIELDS}).encode(),
    "sql-looking-codes": json.dumps({field: "'; DROP TABLE referrals_referral; --" for field in FIELDS}).encode(),
    "dates-out-of-range": json.dumps({"observed_on": "99999-01-01", "child": {"date_of_birth": "0000-00-00"},
                                      "digest_hour": 99, "since": "-1"}).encode(),
    "nan-and-infinity": b'{"concern": NaN, "agency": Infinity, "caseworker": -Infinity}',
    "empty-body": b"",
    "truncated": b'{"concern": "unterminated',
}
CHILD_NAME = "Ola"


def row_counts() -> dict:
    return {m._meta.label: m.objects.count() for m in apps.get_app_config("referrals").get_models()}


def writes_audited() -> int:
    """Audit events of changes (a refused attempt and a read are audited too, and may be)."""
    reads = ("read", "listed", "chronology", "viewed", "search", "lookup")
    return sum(1 for action in AuditEvent.objects.exclude(outcome=AuditEvent.Outcome.DENIED)
               .values_list("action", flat=True)
               if not any(word in action for word in reads) and not action.startswith("auth."))


@pytest.fixture
def filed(world, api, referral_payload):
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload)
    assert response.status_code == 201, response.json()
    return response.json()["reference"]


def readable(body) -> bool:
    if isinstance(body, str):
        return bool(body.strip())
    if isinstance(body, dict):
        return any(readable(v) for v in body.values())
    if isinstance(body, list):
        return any(readable(v) for v in body)
    return False


# Operations whose whole input is one free text: HTML or SQL-looking text is valid text
# there (stored verbatim, shown escaped: test_it_stores_html_in_free_text_verbatim...).
FREE_TEXT_ONLY = {f"/api/v1/referrals/{REF}/addenda/", f"/api/v1/referrals/{REF}/notes/",
                  "/api/v1/handovers/HO-UNKNOWN/messages/",
                  f"/referrals/{REF}/addendum/", f"/referrals/{REF}/notes/"}
TEXT_LIKE = {"html-and-script-in-codes", "sql-looking-codes"}
# A web form field given many values takes the last one: valid text there.
TEXT_LIKE_WEB = {"html-and-sql", "wrong-types"}
# (The routing acknowledgement form takes no input at all, so it has nothing to refuse; the
# preferences form without any of its own fields is a valid "everything off".)
NOT_APPLICABLE = {("/inbox/preferences/", "dates-out-of-range")}


@pytest.mark.parametrize("who,method,path,hostile", [
    pytest.param(who, method, path, hostile, id=f"{method} {path} {hostile}")
    for who, method, path in API_WRITES for hostile in HOSTILE_BODIES
    if not (path in FREE_TEXT_ONLY and hostile in TEXT_LIKE)
])
def test_it_refuses_a_hostile_api_body_with_a_clear_4xx_and_saves_nothing(
        world, api, filed, caplog, who, method, path, hostile):
    client = api(getattr(world, who) if who else None)
    before, audited = row_counts(), writes_audited()
    caplog.set_level(logging.DEBUG)

    response = getattr(client, method)(path.replace(REF, filed), data=HOSTILE_BODIES[hostile],
                                       content_type="application/json")

    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert readable(response.json())
    assert row_counts() == before and writes_audited() == audited
    assert "Nordmann" not in caplog.text and "<script>" not in caplog.text and "DROP TABLE" not in caplog.text
    assert "Ola\x00" not in response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("query", ["status=%00", "category=A%00B", "cursor=%00%00",
                                   "municipality=" + "9" * 10_000, "page_size=99999999999999999999999",
                                   "queue=-1", "queue=", "page_size=", "deadline=<script>",
                                   "caseworker=' OR 1=1 --"])
def test_it_refuses_hostile_query_strings_with_a_4xx_or_an_empty_answer(world, api, query):
    response = api(world.coordinator).get(f"/api/v1/referrals/?{query}")
    assert response.status_code in (200, 400, 404), response.content[:300]
    if response.status_code != 200:
        assert readable(response.json())
    else:
        assert response.json()["results"] == []


@pytest.mark.parametrize("reference", ["%00", "' OR 1=1 --", "<script>alert(1)<%2Fscript>", "x" * 5000,
                                       "..%2F..%2Fetc%2Fpasswd", "%C3%28"])
def test_it_answers_a_hostile_reference_like_a_missing_one(world, api, reference):
    response = api(world.coordinator).get(f"/api/v1/referrals/{reference}/")
    assert response.status_code in (400, 404)
    assert response["Content-Type"].startswith("application/json") and readable(response.json())


@pytest.mark.parametrize("big_id", ["9" * 30, "9223372036854775808"])
def test_it_answers_an_id_too_large_for_the_database_with_404(world, api, big_id):
    for path in (f"/api/v1/notifications/{big_id}/read/", f"/api/v1/audit/events/{big_id}/"):
        response = api(world.auditor).post(path) if "read" in path else api(world.auditor).get(path)
        assert response.status_code == 404 and response.json()["detail"]


def test_it_stores_html_in_free_text_verbatim_and_shows_it_escaped(world, api, client, referral_payload):
    text = "<script>alert('x')</script> '; DROP TABLE referrals_referral; --"
    response = api(world.reporter).post("/api/v1/referrals/", {**referral_payload, "concern": text})
    assert response.status_code == 201
    referral = Referral.objects.get(reference=response.json()["reference"])
    assert referral.concern == text
    client.force_login(world.coordinator)
    page = client.get(f"/referrals/{referral.reference}/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


# --- Web forms ------------------------------------------------------------------------

WEB_FORMS = [
    ("reporter", "/referrals/new/"),
    ("reporter", f"/referrals/{REF}/edit/"),
    ("reporter", f"/referrals/{REF}/addendum/"),
    ("reporter", f"/referrals/{REF}/consent/"),
    ("coordinator", f"/referrals/{REF}/decide/"),
    ("coordinator", f"/referrals/{REF}/assign/"),
    ("coordinator", f"/referrals/{REF}/feedback/"),
    ("coordinator", f"/referrals/{REF}/notes/"),
    ("coordinator", f"/referrals/{REF}/handover/"),
    ("coordinator", f"/referrals/{REF}/export/"),
    ("coordinator", f"/referrals/{REF}/consents/"),
    ("coordinator", "/referrals/consents/CN-UNKNOWN/document/attach/"),
    ("coordinator", f"/referrals/{REF}/case/link/"),
    ("coordinator", "/inbox/preferences/"),
    ("auditor", "/audit/children/find/"),
    ("auditor", "/audit/anomalies/1/review/"),
    (None, "/accounts/login/"),
]
WEB_FIELDS = ["given_name", "family_name", "date_of_birth", "national_id", "concern", "text", "kind",
              "justification", "reason", "caseworker", "agency", "type", "legal_basis", "note",
              "observed_on", "username", "password", "categories", "indicators", "email_events",
              "digest_hour", "case", "action", "recipient", "purpose", "scope", "consent", "override",
              "override_reason"]
HOSTILE_FORMS = {
    "nul-bytes": {field: "Ola\x00Nordmann" for field in WEB_FIELDS},
    "very-long-strings": {field: "Nordmann" * 50_000 for field in WEB_FIELDS[:3]},
    "html-and-sql": {field: "<script>alert(1)</script>'; DROP TABLE x; --" for field in WEB_FIELDS},
    "dates-out-of-range": {"date_of_birth": "0000-00-00", "observed_on": "99999-12-31", "digest_hour": "99",
                           "given_name": "Nordmann", "action": "submit"},
    "wrong-types": {field: ["1", "2", "x"] for field in WEB_FIELDS},
}


@pytest.mark.parametrize("who,path,hostile", [
    pytest.param(who, path, hostile, id=f"{path} {hostile}")
    for who, path in WEB_FORMS for hostile in HOSTILE_FORMS
    if not (path in FREE_TEXT_ONLY and hostile in TEXT_LIKE_WEB) and (path, hostile) not in NOT_APPLICABLE
])
def test_it_answers_a_hostile_web_form_without_a_server_error_and_saves_nothing(
        world, client, filed, caplog, who, path, hostile):
    if who:
        client.force_login(getattr(world, who))
    before, audited = row_counts(), writes_audited()
    caplog.set_level(logging.DEBUG)

    response = client.post(path.replace(REF, filed), HOSTILE_FORMS[hostile])

    assert response.status_code < 500
    assert response.status_code in (200, 302, 400, 403, 404, 405), response.status_code
    assert row_counts() == before and writes_audited() == audited
    assert "Nordmann" not in caplog.text and "DROP TABLE" not in caplog.text


def test_it_refuses_an_oversized_form_with_400(world, client):
    client.force_login(world.reporter)
    response = client.post("/referrals/new/", {"concern": "x" * 1_100_000})
    assert response.status_code == 400
    assert not Referral.objects.exists()


def test_it_shows_form_errors_in_norwegian_for_nul_bytes_and_long_text(world, client):
    client.force_login(world.reporter)
    response = client.post("/referrals/new/", {"given_name": "Ola\x00", "concern": "x" * 100_000,
                                               "action": "save"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Null-tegn er ikke tillatt." in page  # Django's own message, in bokmål
    assert "Sørg for at denne verdien har 10000 eller færre tegn" in page  # too long
    assert not Referral.objects.exists()
