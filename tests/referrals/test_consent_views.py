"""Consent and the disclosure log through the web pages: recording a consent (errors in
bokmål, nothing saved), handing over on it, the override refused to a coordinator, the
withdrawal ending the liaison's access, and the disclosure log with its export."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from referrals.models import Consent, Disclosure, Handover, Referral
from tests.factories import PASSWORD


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def filed(world, api, referral_payload):
    payload = {**referral_payload, "duty_triggers": [],
               "guardians": [{"name": "Mor", "informed": True}, {"name": "Far", "informed": True}]}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    return Referral.objects.get(reference=response.json()["reference"])


def consent_data(world, **overrides):
    return {"given_by": "guardian_1", "child_view": "agrees", "guardians_view": "not_asked",
            "recipients": [world.police.pk], "purposes": ["concern_conversation"], "form": "oral", **overrides}


def test_it_records_a_consent_from_the_referral_page(world, client, filed):
    sign_in(client, world.coordinator)
    page = client.get(reverse("referrals:detail", args=[filed.reference]))
    assert reverse("referrals:consents", args=[filed.reference]).encode() in page.content
    url = reverse("referrals:consents", args=[filed.reference])
    response = client.post(url, consent_data(world), follow=True)
    assert response.status_code == 200
    consent = Consent.objects.get()
    assert consent.given_by == "guardian_1" and consent.form == "oral" and consent.recorded_by == world.coordinator
    assert consent.reference.encode() in response.content and "Gyldig".encode() in response.content


def test_it_shows_consent_errors_in_bokmal_and_saves_nothing(world, client, filed):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:consents", args=[filed.reference]),
                           consent_data(world, given_by="child"))
    assert response.status_code == 400
    assert "under 15 år gir en foresatt samtykket".encode() in response.content
    assert not Consent.objects.exists()


def test_it_refuses_the_consent_page_to_others(world, client, filed):
    for user in (world.liaison, world.outsider, world.reporter):
        sign_in(client, user)
        assert client.get(reverse("referrals:consents", args=[filed.reference])).status_code == 404
        client.logout()
    assert AuditEvent.objects.filter(action="consent.listed", outcome="denied").count() == 3


def test_it_hands_over_on_a_consent_then_the_withdrawal_ends_the_liaisons_access(world, client, filed):
    sign_in(client, world.coordinator)
    client.post(reverse("referrals:consents", args=[filed.reference]), consent_data(world))
    consent = Consent.objects.get()
    response = client.post(reverse("referrals:handover-create", args=[filed.reference]), {
        "type": "concern_conversation", "receiving_agency": world.police.pk, "legal_basis": "consent",
        "consent": consent.reference, "scope": ["identity"], "urgency": "P2"})
    assert response.status_code == 302
    handover = Handover.objects.get()
    assert handover.consent == consent
    client.post(reverse("referrals:consent-withdraw", args=[consent.reference]), {"withdrawn_by": "guardian_1"})
    client.logout()
    sign_in(client, world.liaison)
    assert client.get(reverse("referrals:handover-detail", args=[handover.reference])).status_code == 404
    assert handover.reference.encode() not in client.get(reverse("referrals:handovers")).content


def test_it_refuses_the_override_to_a_coordinator_in_the_form(world, client, filed):
    sign_in(client, world.coordinator)
    response = client.post(reverse("referrals:handover-create", args=[filed.reference]), {
        "type": "concern_conversation", "receiving_agency": world.police.pk, "legal_basis": "consent",
        "scope": ["identity"], "urgency": "P2", "override": "on", "override_reason": "Haster"})
    assert response.status_code == 200
    assert "Rollen din gir ikke rett til å overstyre manglende samtykke".encode() in response.content
    assert not Handover.objects.exists() and not Disclosure.objects.filter(kind="handover").exists()


@pytest.mark.parametrize("extra", [0, 5])
def test_it_shows_the_disclosure_log_in_a_fixed_number_of_queries(world, api, client, filed, extra,
                                                                   django_assert_num_queries):
    for i in range(extra):
        api(world.coordinator).post("/api/v1/handovers/", {
            "referral": filed.reference, "receiving_agency": world.police.pk,
            "type": ["police_report", "avert_crime", "barnehus", "concern_conversation", "immigration"][i % 5],
            "legal_basis": "fvl-13b-6", "scope": ["narrative"]}, format="json")
    sign_in(client, world.auditor)
    url = reverse("referrals:disclosures", args=[filed.reference])
    # session, user, the second factor, referral, membership, savepoint, audit, log, release, inbox
    # count, and the header's roles
    with django_assert_num_queries(12):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.count(b"<tr>") == 1 + 1 + extra  # the header, the routing, the handovers
    export = client.get(reverse("referrals:disclosures-export", args=[filed.reference]))
    assert export.status_code == 200 and export["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="disclosure.log_exported", actor=world.auditor).count() == 1


@pytest.mark.parametrize("count", [1, 4])
def test_it_shows_the_consents_page_in_a_fixed_number_of_queries(world, api, client, filed, count,
                                                                  django_assert_num_queries):
    purposes = ["concern_conversation", "police_report", "barnehus", "avert_crime"]
    for purpose in purposes[:count]:
        response = api(world.coordinator).post("/api/v1/consents/", {
            "referral": filed.reference, "given_by": "guardian_1", "child_view": "agrees", "form": "written",
            "recipients": [world.police.pk, world.slt.pk], "purposes": [purpose]}, format="json")
        assert response.status_code == 201
    sign_in(client, world.coordinator)
    # session, user, the second factor, referral, membership, savepoint, audit, consents, recipients,
    # release, the form's agencies, inbox count, and the header's roles
    with django_assert_num_queries(14):
        response = client.get(reverse("referrals:consents", args=[filed.reference]))
    assert response.status_code == 200 and response.content.count(b'id="consent-CN-') == count
