"""Consent and disclosures through the API: recording a consent (the age rule, the child's
view, a conflict), handing over on it, refusals that say what is missing, the override
(server-checked permission, reason, flagged), withdrawal and expiry ending the access that
rested on the consent, and the disclosure log with its CSV export."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.models import Membership
from audit.models import AuditEvent
from referrals import services
from referrals.access import grant_for
from referrals.models import Consent, Disclosure, Handover, Notification, Referral

from tests.factories import MembershipFactory


@pytest.fixture
def filed(world, api, referral_payload):
    """A recruitment concern below the duty-to-report threshold about a 14-year-old, with
    two guardians: child welfare (the fallback) gets it; sharing with the police needs consent."""
    payload = {**referral_payload, "categories": ["F"], "duty_triggers": [],
               "guardians": [{"name": "Mor", "informed": True}, {"name": "Far", "informed": True}]}
    response = api(world.reporter).post("/api/v1/referrals/", payload, format="json")
    assert response.status_code == 201, response.json()
    return Referral.objects.get(reference=response.json()["reference"])


def consent_body(world, referral, **overrides):
    return {"referral": referral.reference, "given_by": "guardian_1", "child_view": "agrees", "form": "oral",
            "recipients": [world.police.pk], "purposes": ["concern_conversation"], **overrides}


def record_consent(api, world, referral, **overrides):
    response = api(world.coordinator).post("/api/v1/consents/", consent_body(world, referral, **overrides),
                                           format="json")
    assert response.status_code == 201, response.json()
    return Consent.objects.get(reference=response.json()["reference"])


def hand_over(api, world, referral, user=None, **overrides):
    body = {"referral": referral.reference, "receiving_agency": world.police.pk, "type": "concern_conversation",
            "legal_basis": "consent", "scope": ["categories_and_indicators"], **overrides}
    return api(user or world.coordinator).post("/api/v1/handovers/", body, format="json")


def test_it_records_a_guardians_oral_consent_with_the_childs_view(world, api, filed):
    response = api(world.coordinator).post("/api/v1/consents/", consent_body(
        world, filed, child_view="disagrees", child_view_note="Vil ikke at politiet skal vite"), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    consent = Consent.objects.get(reference=body["reference"])
    assert consent.given_by == "guardian_1" and consent.child_age == 14 and consent.form == "oral"
    assert consent.recorded_by == world.coordinator and consent.agency == world.child_welfare
    assert list(consent.recipients.all()) == [world.police] and consent.purposes == ["concern_conversation"]
    assert body["conflict"] is True and body["state"] == "valid"  # the child objects: shown
    event = AuditEvent.objects.get(action="consent.recorded")
    assert event.actor == world.coordinator and event.target_id == str(consent.pk)
    assert event.child_id == filed.child_id and event.changes["conflict"] is True
    assert "politiet skal vite" not in str(event.changes)  # the child's words stay out of the audit trail


@pytest.mark.parametrize("payload, field", [
    ({"given_by": "child"}, "given_by"),            # 14: a guardian gives consent
    ({"child_view": ""}, "child_view"),               # the child must be heard
    ({"recipients": []}, "recipients"),
    ({"purposes": ["gossip"]}, "purposes"),
    ({"form": "telepathy"}, "form"),
    ({"valid_until": "2001-01-01T00:00:00Z"}, "valid_until"),
])
def test_it_refuses_an_incomplete_consent_and_saves_nothing(world, api, filed, payload, field):
    response = api(world.coordinator).post("/api/v1/consents/", consent_body(world, filed, **payload),
                                           format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Consent.objects.exists() and not AuditEvent.objects.filter(action="consent.recorded").exists()


def test_it_asks_a_child_of_15_for_the_consent_and_shows_a_conflict_with_the_guardians(world, api, filed):
    child = filed.child
    child.date_of_birth = timezone.localdate().replace(year=timezone.localdate().year - 16)
    child.save()
    refused = api(world.coordinator).post("/api/v1/consents/", consent_body(world, filed), format="json")
    assert refused.status_code == 400 and "15" in refused.json()["given_by"][0]
    consent = record_consent(api, world, filed, given_by="child", guardians_view="disagrees")
    assert consent.child_age == 16 and consent.has_conflict


def test_it_refuses_consent_recording_to_others_and_audits_it(world, api, filed):
    for user in (world.liaison, world.caseworker, world.outsider, world.auditor):
        response = api(user).post("/api/v1/consents/", consent_body(world, filed), format="json")
        assert response.status_code == 404
    assert not Consent.objects.exists()
    assert AuditEvent.objects.filter(action="consent.record", outcome="denied").count() == 4


def test_it_hands_over_on_a_consent_and_records_the_disclosure(world, api, filed,
                                                                 django_capture_on_commit_callbacks):
    consent = record_consent(api, world, filed)
    with django_capture_on_commit_callbacks() as callbacks:
        response = hand_over(api, world, filed)
    assert response.status_code == 201, response.json()
    handover = Handover.objects.get(reference=response.json()["reference"])
    assert handover.consent == consent and response.json()["consent"] == consent.reference
    disclosure = Disclosure.objects.get(handover=handover)
    assert (disclosure.kind, disclosure.recipient, disclosure.sending_agency) == (
        "handover", world.police, world.child_welfare)
    assert disclosure.consent == consent and disclosure.legal_basis.code == "consent"
    assert disclosure.scope == ["categories_and_indicators"] and disclosure.approved_by == world.coordinator
    assert disclosure.purpose == "concern_conversation" and not disclosure.override
    event = AuditEvent.objects.get(action="disclosure.made", target_id=str(disclosure.pk))
    assert event.changes["consent"] == consent.reference and event.legal_basis == "consent"
    assert len(callbacks) == 1  # the liaison is told after commit


def test_it_refuses_a_consent_handover_without_consent_saying_what_is_missing(world, api, filed):
    record_consent(api, world, filed, purposes=["police_report"])  # another purpose
    response = hand_over(api, world, filed)
    assert response.status_code == 400
    assert "Ingen gyldige samtykker dekker Politiet Sør-Øst" in response.json()["consent"][0]  # bokmål
    assert not Handover.objects.exists() and not Disclosure.objects.filter(kind="handover").exists()


def test_it_refuses_a_legal_basis_the_receiving_kind_cannot_use(world, api, filed):
    response = hand_over(api, world, filed, legal_basis="bvl-13-2")
    assert response.status_code == 400 and "barnevernsloven § 13-2" in response.json()["legal_basis"][0]
    assert not Handover.objects.exists()


def test_it_refuses_the_override_without_the_permission_whatever_the_body_says(world, api, filed):
    before = Disclosure.objects.count()
    response = hand_over(api, world, filed, override=True, override_reason="Haster",
                         override_permission=True, role="agency_admin", is_superuser=True,
                         permissions=["consent.override"])
    assert response.status_code == 403
    assert not Handover.objects.exists() and Disclosure.objects.count() == before
    denied = AuditEvent.objects.get(action="disclosure.override", outcome="denied")
    assert denied.actor == world.coordinator and denied.changes["override"] is True


def test_it_overrides_a_missing_consent_with_the_permission_and_a_reason_flagged(world, api, filed):
    MembershipFactory(user=world.coordinator, agency=world.child_welfare, role=Membership.Role.AGENCY_ADMIN)
    no_reason = hand_over(api, world, filed, override=True)
    assert no_reason.status_code == 400 and "override_reason" in no_reason.json()
    response = hand_over(api, world, filed, override=True, override_reason="Fare for liv; foreldre nås ikke")
    assert response.status_code == 201, response.json()
    disclosure = Disclosure.objects.get(kind="handover")
    assert disclosure.override and disclosure.consent is None
    assert disclosure.override_reason == "Fare for liv; foreldre nås ikke"
    event = AuditEvent.objects.get(action="disclosure.made", target_id=str(disclosure.pk))
    assert event.changes["override"] is True
    assert AuditEvent.objects.get(action="handover.created").changes["override"] is True


def test_it_ends_access_resting_only_on_a_withdrawn_consent_and_tells_the_receiver(
        world, api, filed, django_capture_on_commit_callbacks):
    consent = record_consent(api, world, filed, purposes=["concern_conversation", "police_report"])
    on_consent = Handover.objects.get(reference=hand_over(api, world, filed).json()["reference"])
    assert grant_for(world.liaison, filed) is not None
    with django_capture_on_commit_callbacks() as callbacks:
        response = api(world.coordinator).post(f"/api/v1/consents/{consent.reference}/withdraw/",
                                               {"withdrawn_by": "guardian_1", "note": "Ringte"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "withdrawn"
    consent.refresh_from_db()
    on_consent.refresh_from_db()
    assert consent.withdrawal_recorded_by == world.coordinator and consent.withdrawn_by == "guardian_1"
    assert on_consent.access_ended_at is not None and on_consent.next_escalation_at is None
    assert grant_for(world.liaison, filed) is None
    assert api(world.liaison).get(f"/api/v1/handovers/{on_consent.reference}/").status_code == 404
    notice = Notification.objects.get(event="consent.ended")
    assert notice.recipient == world.liaison and notice.handover == on_consent
    assert len(callbacks) == 1
    assert [e.action for e in AuditEvent.objects.filter(action__in=["consent.withdrawn", "handover.access_ended"])
            ] == ["consent.withdrawn", "handover.access_ended"]
    # Nothing more leaves under it.
    again = hand_over(api, world, filed, type="police_report", consent=consent.reference)
    assert again.status_code == 400 and "ikke gyldig nå (Trukket tilbake)" in again.json()["consent"][0]
    # Withdrawing twice is a conflict.
    twice = api(world.coordinator).post(f"/api/v1/consents/{consent.reference}/withdraw/",
                                        {"withdrawn_by": "guardian_1"}, format="json")
    assert twice.status_code == 409


def test_it_keeps_access_that_has_another_legal_basis(world, api, filed):
    consent = record_consent(api, world, filed)
    assert hand_over(api, world, filed).status_code == 201
    on_law = hand_over(api, world, filed, type="police_report", legal_basis="fvl-13b-6", scope=["narrative"])
    assert on_law.status_code == 201, on_law.json()
    services.consent_withdraw(actor=world.coordinator, consent=consent, withdrawn_by="guardian_1")
    grant = grant_for(world.liaison, filed)
    assert grant is not None and grant.scope == frozenset({"narrative"})  # only what the law-based one discloses


def test_it_ends_access_when_a_consent_expires_run_by_the_beat_task(world, api, filed,
                                                                     django_capture_on_commit_callbacks):
    from referrals.tasks import expire_consents

    consent = record_consent(api, world, filed, valid_until=(timezone.now() + timedelta(hours=1)).isoformat())
    handover = Handover.objects.get(reference=hand_over(api, world, filed).json()["reference"])
    assert expire_consents() == 0
    Consent.objects.filter(pk=consent.pk).update(valid_from=timezone.now() - timedelta(hours=2),
                                                 valid_until=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert expire_consents() == 1
    handover.refresh_from_db()
    assert handover.access_ended_at is not None and grant_for(world.liaison, filed) is None
    event = AuditEvent.objects.get(action="consent.expired")
    assert event.actor is None and event.target_id == str(consent.pk)
    assert Notification.objects.filter(event="consent.ended", recipient=world.liaison).count() == 1
    assert len(callbacks) == 1
    assert expire_consents() == 0  # once


def test_it_shows_the_disclosure_log_to_coordinators_and_auditors_only(world, api, filed,
                                                                        django_assert_num_queries):
    record_consent(api, world, filed)
    assert hand_over(api, world, filed).status_code == 201
    for _ in range(2):
        hand_over(api, world, filed, type="police_report", legal_basis="fvl-13b-6", scope=["narrative"])
    client = api(world.auditor)
    with django_assert_num_queries(6):  # referral, membership, audit event, the log, savepoint and release
        response = client.get(f"/api/v1/referrals/{filed.reference}/disclosures/")
    assert response.status_code == 200
    rows = response.json()
    assert [(r["kind"], r["recipient"]["id"], r["legal_basis"]) for r in rows] == [
        # No consent at filing: child welfare received it without the child's identity.
        ("routing", world.child_welfare.pk, "fvl-13a-2"), ("handover", world.police.pk, "consent"),
        ("handover", world.police.pk, "fvl-13b-6")]
    assert AuditEvent.objects.filter(action="disclosure.log_read", actor=world.auditor).count() == 1
    for user in (world.liaison, world.outsider, world.reporter, world.caseworker):
        assert api(user).get(f"/api/v1/referrals/{filed.reference}/disclosures/").status_code == 404
    assert AuditEvent.objects.filter(action="disclosure.log_read", outcome="denied").count() == 4


def test_it_exports_the_disclosure_log_as_csv_with_formulas_neutralised(world, api, filed):
    MembershipFactory(user=world.coordinator, agency=world.child_welfare, role=Membership.Role.AGENCY_ADMIN)
    assert hand_over(api, world, filed, override=True, override_reason="=HYPERLINK(\"x\")").status_code == 201
    response = api(world.coordinator).get(f"/api/v1/referrals/{filed.reference}/disclosures/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 3 and rows[2][10] == "'=HYPERLINK(\"x\")"
    assert AuditEvent.objects.filter(action="disclosure.log_exported", actor=world.coordinator).count() == 1


def test_it_lists_a_referrals_consents_in_a_fixed_number_of_queries(world, api, filed, django_assert_num_queries):
    for purpose in ("concern_conversation", "police_report", "barnehus"):
        record_consent(api, world, filed, purposes=[purpose], recipients=[world.police.pk, world.slt.pk])
    with django_assert_num_queries(7):  # referral, membership, audit, consents, recipients, savepoint, release
        response = api(world.coordinator).get(f"/api/v1/consents/?referral={filed.reference}")
    assert response.status_code == 200 and len(response.json()) == 3
    assert response.json()[0]["recipients"][0]["name"] == "Politiet Sør-Øst"
