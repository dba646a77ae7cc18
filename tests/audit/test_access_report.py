"""The access report for one child (innsynslogg): complete, with the basis of each access,
as a page, as CSV with formula injection neutralised, and through the API; audited."""

import csv
import io

import pytest

from audit.export import neutralise
from audit.models import AuditEvent
from audit.recorder import record
from tests.factories import PASSWORD


@pytest.fixture
def worked_on(world, api, file_referral):
    """Filed, listed and opened by the coordinator, assigned to and opened by the
    caseworker, decided, tried by the outsider."""
    referral = file_referral(world.reporter)
    coordinator = api(world.coordinator)
    assert coordinator.get("/api/v1/referrals/").status_code == 200
    assert coordinator.get(f"/api/v1/referrals/{referral.reference}/").status_code == 200
    assigned = coordinator.post(f"/api/v1/referrals/{referral.reference}/assign/",
                                {"caseworker": world.caseworker.pk}, format="json")
    assert assigned.status_code in (200, 201), assigned.content
    assert api(world.caseworker).get(f"/api/v1/referrals/{referral.reference}/").status_code == 200
    decided = coordinator.post(f"/api/v1/referrals/{referral.reference}/decisions/",
                               {"kind": "open_investigation"}, format="json")
    assert decided.status_code == 201
    assert api(world.outsider).get(f"/api/v1/referrals/{referral.reference}/").status_code == 404
    return referral


def report(api, user, referral, **params):
    return api(user).get(f"/api/v1/audit/children/{referral.reference}/access-report/", params)


def test_it_reports_every_read_and_write_of_the_child(world, api, worked_on):
    about_child = list(AuditEvent.objects.filter(child_id=worked_on.child_id).order_by("occurred_at", "id")
                       .values_list("id", flat=True))
    response = report(api, world.auditor, worked_on)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == about_child

    by_user = {(row["user"], row["action"], row["access"], row["basis"]) for row in rows}
    assert ("reporter", "referral.submitted", "write", "reporter") in by_user
    assert ("coordinator", "referral.listed", "read", "routing") in by_user
    assert ("coordinator", "referral.read", "read", "routing") in by_user
    assert ("coordinator", "referral.assigned", "write", "routing") in by_user
    assert ("caseworker", "referral.read", "read", "assignment") in by_user
    assert ("coordinator", "referral.decided", "write", "routing") in by_user
    assert ("outsider", "referral.read", "denied", "denied") in by_user
    assert ("reporter", "deadline.opened", "write", "system") in by_user  # the clock the filing started
    coordinator_read = next(r for r in rows if r["user"] == "coordinator" and r["action"] == "referral.read")
    assert coordinator_read["agency_name"] == "Barneverntjenesten i Drammen"
    assert coordinator_read["legal_basis"] == "bvl-13-2" and coordinator_read["reference"] == worked_on.reference

    # Opening the report is recorded against the child, and so appears in the next report.
    opened = AuditEvent.objects.get(action="audit.report_read")
    assert opened.actor == world.auditor and opened.child_id == worked_on.child_id
    again = report(api, world.auditor, worked_on).json()["results"]
    assert again[-1]["id"] == opened.pk and again[-1]["basis"] == "audit"


def test_it_includes_the_childs_other_records_with_the_same_national_id(world, api, file_referral):
    from tests.factories import national_id
    from django.utils import timezone

    number = national_id(timezone.localdate().replace(year=2012, month=2, day=3))
    first = file_referral(world.reporter, child={"given_name": "Ola", "national_id": number})
    second = file_referral(world.reporter, child={"given_name": "Ola", "national_id": number})
    unrelated = file_referral(world.reporter)
    body = report(api, world.auditor, second).json()
    assert body["references"] == [first.reference, second.reference]
    children = {row["reference"] for row in body["results"] if row["action"] == "referral.submitted"}
    assert children == {first.reference, second.reference} and unrelated.reference not in children


def test_it_pages_the_report_oldest_first(world, api, worked_on):
    first = report(api, world.auditor, worked_on, page_size=3).json()
    assert len(first["results"]) == 3 and first["next"]
    second = api(world.auditor).get(first["next"]).json()
    assert second["results"][0]["id"] > first["results"][-1]["id"]


def test_it_refuses_the_report_outside_the_scope_and_to_non_auditors(world, api, worked_on, outsider_auditor):
    assert report(api, outsider_auditor, worked_on).status_code == 404
    assert report(api, world.coordinator, worked_on).status_code == 403
    assert api(world.auditor).get("/api/v1/audit/children/SV-NOSUCH00/access-report/").status_code == 404
    export = api(outsider_auditor).get(f"/api/v1/audit/children/{worked_on.reference}/access-report/export/")
    assert export.status_code == 404
    denied = list(AuditEvent.objects.filter(action__in=["audit.report_read", "audit.export"])
                  .order_by("id").values_list("actor_username", "action", "outcome"))
    assert denied == [("bergen_auditor", "audit.report_read", "denied"), ("coordinator", "audit.report_read", "denied"),
                      ("auditor", "audit.report_read", "denied"), ("bergen_auditor", "audit.export", "denied")]


@pytest.mark.parametrize("value, expected", [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+47 99 99 99 99", "'+47 99 99 99 99"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("coordinator", "coordinator"),
    ("a=b", "a=b"),
    (42, "42"),
    (None, ""),
])
def test_it_neutralises_cells_a_spreadsheet_would_run(value, expected):
    assert neutralise(value) == expected


def test_it_exports_the_report_as_csv_with_formulas_neutralised(world, api, worked_on):
    record(action="referral.read", actor_username="=cmd|' /C calc'!A0", child_id=worked_on.child_id,
           legal_basis="@evil", changes={"reference": "-1+1"})
    response = api(world.auditor).get(f"/api/v1/audit/children/{worked_on.reference}/access-report/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"innsynslogg-{worked_on.reference}" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert len(header) == 13
    injected = next(r for r in body if r[4].endswith("calc'!A0"))
    assert injected[4] == "'=cmd|' /C calc'!A0" and injected[8] == "'@evil" and injected[9] == "'-1+1"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in body for cell in row)
    # Every event about the child, the export itself included (it is recorded first).
    exported = AuditEvent.objects.get(action="audit.export")
    assert exported.child_id == worked_on.child_id and exported.actor == world.auditor
    assert {int(r[12]) for r in body} == set(AuditEvent.objects.filter(child_id=worked_on.child_id)
                                                 .values_list("id", flat=True))


def test_it_shows_a_printable_report_page(world, client, worked_on):
    client.login(username="auditor", password=PASSWORD)
    response = client.get(f"/audit/children/{worked_on.reference}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-print" in html and "js/print.js" in html and "<script>" not in html
    assert f"/audit/children/{worked_on.reference}/export.csv" in html
    assert "outsider" in html and "caseworker" in html
    assert "Saksbehandler" in html and "Tildelt saksbehandler" in html  # role and basis in bokmål
    csv_response = client.get(f"/audit/children/{worked_on.reference}/export.csv")
    assert csv_response.status_code == 200
    assert AuditEvent.objects.filter(action="audit.export", actor=world.auditor).exists()


def test_it_never_puts_case_text_in_the_events_an_auditor_sees(world, api, file_referral):
    secret = "Mother hits him with a belt every weekend"
    referral = file_referral(world.reporter, concern=secret)
    reporter = api(world.reporter)
    reporter.post(f"/api/v1/referrals/{referral.reference}/addenda/", {"text": f"Addendum: {secret}"}, format="json")
    coordinator = api(world.coordinator)
    coordinator.post(f"/api/v1/referrals/{referral.reference}/notes/", {"text": f"Note: {secret}"}, format="json")
    coordinator.post(f"/api/v1/referrals/{referral.reference}/decisions/",
                     {"kind": "dismiss", "justification": f"Justified: {secret}"}, format="json")
    assert AuditEvent.objects.filter(action__in=["referral.addendum_added", "note.added", "referral.decided"]
                                     ).count() == 3
    stored = str(list(AuditEvent.objects.values_list("changes", "legal_basis", "target_id")))
    assert secret not in stored and "Ola" not in stored and "Nordmann" not in stored
    auditor = api(world.auditor)
    events = auditor.get("/api/v1/audit/events/", {"child": referral.reference, "page_size": 500}).json()
    details = [auditor.get(f"/api/v1/audit/events/{row['id']}/").content.decode() for row in events["results"]]
    assert details and not any(secret in d or "Nordmann" in d for d in details)


@pytest.mark.parametrize("n", [2, 20])
def test_it_shows_the_report_in_a_fixed_number_of_queries(world, api, client, worked_on,
                                                         django_assert_num_queries, n):
    for _ in range(n):
        record(action="referral.read", actor=world.coordinator, agency=world.child_welfare,
               child_id=worked_on.child_id, changes={"reference": worked_on.reference})
    # memberships, the referral and child, the child's scope, the references, the page,
    # the audit event of the read (in a savepoint: two more)
    with django_assert_num_queries(8):
        assert report(api, world.auditor, worked_on).status_code == 200
    client.force_login(world.auditor)
    with django_assert_num_queries(14):  # + session, user, the second factor, and the counts in the page header
        assert client.get(f"/audit/children/{worked_on.reference}/").status_code == 200


def test_it_reports_a_handover_read_and_an_export_as_reads_of_the_child(world, api, file_referral):
    referral = file_referral(world.reporter)
    handover = api(world.coordinator).post("/api/v1/handovers/", {
        "referral": referral.reference, "receiving_agency": world.police.pk, "type": "police_report",
        "legal_basis": "fvl-13b-6", "scope": ["narrative"]}, format="json").json()
    assert api(world.liaison).get(f"/api/v1/handovers/{handover['reference']}/").status_code == 200
    exported = api(world.coordinator).post(f"/api/v1/referrals/{referral.reference}/exports/", {
        "recipient": world.outsider_child_welfare.pk, "legal_basis": "fvl-13b-5",
        "purpose": "municipality_transfer", "scope": ["narrative"]}, format="json")
    assert exported.status_code == 201
    rows = report(api, world.auditor, referral).json()["results"]
    accesses = {(row["user"], row["action"], row["access"]) for row in rows}
    assert ("liaison", "handover.read", "read") in accesses
    assert ("coordinator", "referral.exported", "read") in accesses
