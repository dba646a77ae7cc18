"""Below the duty to report, a concern is shared by consent or as a consultation without
identity (DOMAIN.md section 5). The reporter records a consent on the form; without one the
routings that rest on consent carry everything but who the child is, until a consent that
covers the agency is recorded; a withdrawal withholds the identity again."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from referrals import services
from referrals.models import Consent, Disclosure, Handover, Notification, Referral, Routing
from tests.factories import PASSWORD

GUARDIANS = [{"name": "Kari Mor", "contact": "900 00 001", "informed": True},
             {"name": "Per Far", "informed": False, "not_informed_reason": "Han er den barnet er redd for."}]


@pytest.fixture
def below_threshold(referral_payload):
    """A recruitment concern about a 14-year-old with no § 13-2 trigger: child welfare, the
    police liaison and SLT receive it, all on the consent basis."""
    return {**referral_payload, "categories": ["B"], "duty_triggers": [], "guardians": GUARDIANS}


def file(api, world, payload):
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 201, response.json()
    return Referral.objects.get(reference=response.json()["reference"])


def routings(referral) -> dict:
    return {r.agency_id: r for r in Routing.objects.filter(referral=referral)}


def test_it_routes_a_concern_below_the_threshold_without_the_identity_when_no_consent_is_given(
        world, api, below_threshold):
    referral = file(api, world, below_threshold)
    rows = routings(referral)
    assert set(rows) == {world.child_welfare.pk, world.police.pk, world.slt.pk}
    assert all(r.identity_withheld and r.consent is None and r.legal_basis.code == "consent" for r in rows.values())
    for disclosure in Disclosure.objects.filter(referral=referral):
        assert disclosure.legal_basis.code == "fvl-13a-2" and disclosure.consent is None
        assert "identity" not in disclosure.scope and "narrative" in disclosure.scope
    routed = AuditEvent.objects.filter(action="referral.routed", target_id__in=[str(r.pk) for r in rows.values()])
    assert routed.count() == 3 and all(e.changes["identity_withheld"] for e in routed)
    assert not Consent.objects.exists()


def test_it_shows_the_receiving_agency_the_concern_but_not_who_the_child_is(world, api, client, below_threshold):
    referral = file(api, world, below_threshold)
    body = api(world.coordinator).get(f"/api/v1/referrals/{referral.reference}/").json()
    child = body["child"]
    assert child["identity_withheld"] is True
    assert child["given_name"] == child["family_name"] == "" and child["date_of_birth"] is None
    assert child["school"] is None and child["safe_contact"] == "" and child["estimated_age"] == 14
    assert [g["name"] for g in body["guardians"]] == ["", ""] and [g["contact"] for g in body["guardians"]] == ["", ""]
    assert body["concern"] == below_threshold["concern"] and body["match_suggestions"] == []
    read = AuditEvent.objects.filter(action="referral.read", actor=world.coordinator).get()
    assert read.legal_basis == "fvl-13a-2" and read.child_id == referral.child_id
    queue = api(world.coordinator).get("/api/v1/referrals/", {"queue": world.child_welfare.pk}).json()["results"]
    assert [row["child_name"] for row in queue] == [""]

    assert client.login(username=world.liaison.username, password=PASSWORD)
    page = client.get(reverse("referrals:detail", args=[referral.reference])).content.decode()
    assert "Drøfting uten identitet" in page
    assert "Ola" not in page and "Nordmann" not in page and "Kari Mor" not in page and "900 00 001" not in page
    # The reporter, who filed it, still sees everything.
    mine = api(world.reporter).get(f"/api/v1/referrals/{referral.reference}/").json()
    assert mine["child"]["given_name"] == "Ola" and mine["child"]["identity_withheld"] is False


def test_it_shares_the_identity_on_a_consent_given_on_the_form(world, api, below_threshold):
    payload = {**below_threshold, "consent": {"given_by": "guardian_1", "form": "oral", "child_view": "agrees",
                                               "child_view_note": "Vil gjerne ha hjelp."}}
    referral = file(api, world, payload)
    consent = Consent.objects.get()
    assert consent.recorded_by == world.reporter and consent.agency == world.school
    assert consent.given_by == "guardian_1" and consent.form == "oral" and consent.purposes == ["routing"]
    assert set(consent.recipients.values_list("pk", flat=True)) == {world.child_welfare.pk, world.police.pk,
                                                                     world.slt.pk}
    assert all(not r.identity_withheld and r.consent == consent for r in routings(referral).values())
    assert all(d.consent == consent and "identity" in d.scope and d.legal_basis.code == "consent"
               for d in Disclosure.objects.filter(referral=referral))
    assert AuditEvent.objects.filter(action="consent.recorded", changes__at_filing=True).count() == 1
    body = api(world.slt_coordinator).get(f"/api/v1/referrals/{referral.reference}/").json()
    assert body["child"]["given_name"] == "Ola" and body["child"]["identity_withheld"] is False


def test_it_needs_no_consent_when_the_duty_to_report_applies(world, api, referral_payload):
    referral = file(api, world, {**referral_payload, "consent": None})
    assert all(not r.identity_withheld for r in routings(referral).values())
    assert not Consent.objects.exists()


@pytest.mark.parametrize("consent, field, guardians", [
    ({"given_by": "child", "form": "oral", "child_view": "agrees"}, "consent.given_by", GUARDIANS),  # 14: a guardian
    ({"given_by": "guardian_2", "form": "oral", "child_view": "agrees"}, "consent.given_by", GUARDIANS[:1]),
    ({"given_by": "guardian_1", "form": "by pigeon", "child_view": "agrees"}, "consent.form", GUARDIANS),
    ({"given_by": "guardian_1", "form": "written"}, "consent.child_view", GUARDIANS),
])
def test_it_refuses_a_consent_on_the_form_that_does_not_hold_and_saves_nothing(
        world, api, below_threshold, consent, field, guardians):
    payload = {**below_threshold, "guardians": guardians, "consent": consent}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert field in errors or field.split(".")[0] in errors, errors
    assert not Referral.objects.exists() and not Consent.objects.exists() and not Disclosure.objects.exists()


def test_a_consent_recorded_later_shows_the_covered_agencies_who_the_child_is(
        world, api, below_threshold, django_capture_on_commit_callbacks):
    referral = file(api, world, below_threshold)
    with django_capture_on_commit_callbacks(execute=False):
        consent = services.consent_record(
            actor=world.coordinator, referral=referral, given_by="guardian_1", child_view="agrees",
            recipients=[world.child_welfare, world.police], purposes=["routing"], form="written")
    rows = routings(referral)
    assert not rows[world.child_welfare.pk].identity_withheld and rows[world.child_welfare.pk].consent == consent
    assert not rows[world.police.pk].identity_withheld
    assert rows[world.slt.pk].identity_withheld  # the consent does not name SLT
    shared = Disclosure.objects.filter(referral=referral, consent=consent)
    assert sorted(shared.values_list("recipient_id", flat=True)) == sorted([world.child_welfare.pk, world.police.pk])
    assert all(d.scope == ["identity"] and d.kind == "routing" for d in shared)
    assert AuditEvent.objects.filter(action="routing.identity_shared").count() == 2
    assert Notification.objects.filter(event="routing.identity_shared", recipient=world.liaison).count() == 1
    assert not Notification.objects.filter(event="routing.identity_shared", recipient=world.slt_coordinator).exists()
    body = api(world.liaison).get(f"/api/v1/referrals/{referral.reference}/").json()
    assert body["child"]["given_name"] == "Ola" and body["guardians"][0]["name"] == "Kari Mor"
    assert AuditEvent.objects.filter(action="referral.read", actor=world.liaison).get().legal_basis == "consent"
    assert api(world.slt_coordinator).get(f"/api/v1/referrals/{referral.reference}/").json()["child"][
        "given_name"] == ""

    services.consent_withdraw(actor=world.coordinator, consent=consent, withdrawn_by="guardian_1")
    assert all(r.identity_withheld for r in routings(referral).values())
    assert AuditEvent.objects.filter(action="routing.identity_withheld").count() == 2
    assert Notification.objects.filter(event="consent.ended", recipient=world.liaison).count() == 1
    assert api(world.liaison).get(f"/api/v1/referrals/{referral.reference}/").json()["child"]["given_name"] == ""


def test_an_agency_without_the_identity_cannot_pass_it_on_without_a_consent(world, api, below_threshold):
    referral = file(api, world, below_threshold)
    body = {"referral": referral.reference, "receiving_agency": world.police.pk, "type": "police_report",
            "legal_basis": "fvl-13b-6", "scope": ["identity", "narrative"]}
    refused = api(world.coordinator).post("/api/v1/handovers/", body, format="json")
    assert refused.status_code == 400 and "scope" in refused.json()
    assert not Handover.objects.exists()
    assert Disclosure.objects.filter(kind="handover").count() == 0
    without_identity = api(world.coordinator).post("/api/v1/handovers/", {**body, "scope": ["narrative"]},
                                                   format="json")
    assert without_identity.status_code == 201
    services.consent_record(actor=world.coordinator, referral=referral, given_by="guardian_1", child_view="agrees",
                            recipients=[world.police], purposes=["concern_conversation"], form="oral")
    on_consent = api(world.coordinator).post("/api/v1/handovers/", {
        **body, "type": "concern_conversation", "legal_basis": "consent"}, format="json")
    assert on_consent.status_code == 201, on_consent.json()


def test_a_forward_of_a_consultation_stays_without_identity(world, api, below_threshold):
    referral = file(api, world, below_threshold)
    response = api(world.coordinator).post(f"/api/v1/referrals/{referral.reference}/decisions/", {
        "kind": "forward", "target_agency": world.immigration.pk, "legal_basis": "fvl-13b-5"}, format="json")
    assert response.status_code in (200, 201), response.json()
    forwarded = Routing.objects.get(referral=referral, agency=world.immigration)
    assert forwarded.identity_withheld
    disclosure = Disclosure.objects.get(routing=forwarded)
    assert "identity" not in disclosure.scope and disclosure.legal_basis.code == "fvl-13a-2"


def test_the_form_records_the_consent_and_shows_its_errors_in_bokmal(world, client):
    assert client.login(username=world.reporter.username, password=PASSWORD)
    url = reverse("referrals:create")
    form = {
        "reporting_agency": world.school.pk, "given_name": "Ola", "family_name": "Nordmann",
        "date_of_birth": "2012-05-17", "categories": ["B"], "concern": "Snakker om oppdrag og poeng.",
        "guardians-TOTAL_FORMS": "2", "guardians-INITIAL_FORMS": "0", "guardians-0-name": "Kari Mor",
        "guardians-0-informed": "yes", "people-TOTAL_FORMS": "0", "people-INITIAL_FORMS": "0",
        "identifiers-TOTAL_FORMS": "0", "identifiers-INITIAL_FORMS": "0", "action": "submit",
        "consent_given_by": "child", "consent_form": "oral", "consent_child_view": "agrees",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200 and b"consent_given_by_error" in refused.content
    assert "under 15 år gir en foresatt samtykket" in refused.content.decode()
    assert not Referral.objects.exists()
    sent = client.post(url, {**form, "consent_given_by": "guardian_1"})
    assert sent.status_code == 302, sent.content.decode()[:2000]
    consent = Consent.objects.get()
    assert consent.given_by == "guardian_1" and consent.recorded_by == world.reporter
    assert not Routing.objects.filter(identity_withheld=True).exists()


def test_an_export_from_a_consultation_leaves_the_identity_out_unless_a_consent_covers_it(
        world, api, below_threshold):
    referral = file(api, world, below_threshold)
    url = f"/api/v1/referrals/{referral.reference}/exports/"
    body = {"recipient": world.outsider_child_welfare.pk, "legal_basis": "fvl-13b-5",
            "purpose": "municipality_transfer", "scope": ["identity", "narrative"]}
    refused = api(world.coordinator).post(url, body, format="json")
    assert refused.status_code == 400 and "scope" in refused.json()
    assert not Disclosure.objects.filter(kind="export").exists()
    narrative_only = api(world.coordinator).post(url, {**body, "scope": ["narrative"]}, format="json")
    assert narrative_only.status_code == 201 and "identity" not in narrative_only.json()["disclosed"]


def test_the_reporter_records_a_consent_after_filing_and_the_agencies_then_see_the_child(
        world, api, client, below_threshold):
    referral = file(api, world, below_threshold)
    url = f"/api/v1/referrals/{referral.reference}/consent/"
    body = {"given_by": "guardian_1", "form": "written", "child_view": "agrees"}
    for user in (world.coordinator, world.outsider_reporter):
        assert api(user).post(url, body, format="json").status_code in (403, 404)
    assert api(world.reporter).post(url, {**body, "given_by": "child"}, format="json").status_code == 400
    assert not Consent.objects.exists()
    assert AuditEvent.objects.filter(action="consent.record", outcome="denied").count() == 2

    assert client.login(username=world.reporter.username, password=PASSWORD)
    page = client.get(reverse("referrals:detail", args=[referral.reference])).content.decode()
    assert 'id="reporter-consent-form"' in page
    response = api(world.reporter).post(url, body, format="json")
    assert response.status_code == 201, response.json()
    consent = Consent.objects.get(reference=response.json()["reference"])
    assert consent.recorded_by == world.reporter and consent.purposes == ["routing"]
    assert set(consent.recipients.values_list("pk", flat=True)) == {world.child_welfare.pk, world.police.pk,
                                                                     world.slt.pk}
    assert not Routing.objects.filter(referral=referral, identity_withheld=True).exists()
    assert api(world.slt_coordinator).get(f"/api/v1/referrals/{referral.reference}/").json()["child"][
        "given_name"] == "Ola"
    again = api(world.reporter).post(url, body, format="json")
    assert again.status_code == 409
    page = client.get(reverse("referrals:detail", args=[referral.reference])).content.decode()
    assert 'id="reporter-consent-form"' not in page


def test_the_reporters_consent_form_on_the_referral_page(world, api, client, below_threshold):
    referral = file(api, world, below_threshold)
    assert client.login(username=world.reporter.username, password=PASSWORD)
    url = reverse("referrals:reporter-consent", args=[referral.reference])
    refused = client.post(url, {"given_by": "child", "form": "oral", "child_view": "agrees"}, follow=True)
    assert "under 15 år gir en foresatt samtykket" in refused.content.decode()
    assert not Consent.objects.exists()
    sent = client.post(url, {"given_by": "guardian_1", "form": "oral", "child_view": "agrees"})
    assert sent.status_code == 302 and Consent.objects.get().recorded_by == world.reporter


def test_withholding_the_identity_costs_no_query(world, api, client, below_threshold, referral_payload):
    """The copies are made from what was loaded; what goes is the match suggestions (their
    query and the savepoint of their audit rows), which a consultation never shows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(call) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert call().status_code == 200
        return len(captured)

    withheld = file(api, world, below_threshold)
    shown = file(api, world, {**referral_payload, "guardians": GUARDIANS})  # on the duty to report
    coordinator = api(world.coordinator)
    coordinator.get(f"/api/v1/referrals/{shown.reference}/")
    api_counts = (queries(lambda: coordinator.get(f"/api/v1/referrals/{withheld.reference}/")),
                  queries(lambda: coordinator.get(f"/api/v1/referrals/{shown.reference}/")))
    client.force_login(world.coordinator)
    client.get(f"/referrals/{shown.reference}/")
    page_counts = (queries(lambda: client.get(f"/referrals/{withheld.reference}/")),
                   queries(lambda: client.get(f"/referrals/{shown.reference}/")))
    assert api_counts[1] - api_counts[0] == page_counts[1] - page_counts[0] == 3, (api_counts, page_counts)
