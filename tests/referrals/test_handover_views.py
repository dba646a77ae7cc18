"""Handovers through the web pages: a coordinator hands over from the referral page, the
liaison's inbox and handover page, acknowledging, accepting, declining; what each side sees."""

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from referrals.models import Handover, NotificationPreference, Referral
from tests.factories import PASSWORD


def sign_in(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def filed(world, api, referral_payload):
    response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    return Referral.objects.get(reference=response.json()["reference"])


def hand_over(client, world, referral, **overrides):
    data = {"type": "police_report", "receiving_agency": world.police.pk, "legal_basis": "fvl-13b-6",
            "scope": ["identity", "narrative"], "urgency": "P1", "message": "Please confirm receipt.", **overrides}
    return client.post(reverse("referrals:handover-create", args=[referral.reference]), data)


@pytest.fixture
def handover(world, client, filed):
    sign_in(client, world.coordinator)
    response = hand_over(client, world, filed)
    assert response.status_code == 302
    client.logout()
    return Handover.objects.get()


def test_a_coordinator_hands_over_from_the_referral_page(world, client, filed):
    sign_in(client, world.coordinator)
    page = client.get(reverse("referrals:detail", args=[filed.reference]))
    assert reverse("referrals:handover-create", args=[filed.reference]).encode() in page.content
    form = client.get(reverse("referrals:handover-create", args=[filed.reference]))
    assert form.status_code == 200 and b'name="scope"' in form.content
    response = hand_over(client, world, filed)
    assert response.status_code == 302
    handover = Handover.objects.get()
    assert handover.scope == ["identity", "narrative"] and handover.urgency == "P1"
    assert handover.message == "Please confirm receipt."


def test_it_shows_form_errors_in_the_users_language_and_creates_nothing(world, client, filed):
    sign_in(client, world.coordinator)
    response = hand_over(client, world, filed, scope=[], receiving_agency=world.slt.pk)
    assert response.status_code == 200
    assert "Dette feltet er påkrevd" in response.content.decode()
    assert not Handover.objects.exists()


def test_a_reporter_cannot_open_the_handover_form(world, client, filed):
    sign_in(client, world.reporter)
    assert client.get(reverse("referrals:handover-create", args=[filed.reference])).status_code == 403
    assert AuditEvent.objects.filter(action="handover.create", outcome="denied", actor=world.reporter).exists()


def test_the_liaison_sees_the_pending_handover_in_the_inbox_and_header(world, client, handover,
                                                                      django_assert_max_num_queries):
    sign_in(client, world.liaison)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("referrals:handovers"))
    body = page.content.decode()
    assert handover.reference in body and world.child_welfare.name in body
    assert 'aria-label="1 venter på kvittering"' in body


def test_the_liaison_sees_only_the_disclosed_parts_and_acknowledges_then_accepts(world, client, filed, handover):
    sign_in(client, world.liaison)
    url = reverse("referrals:handover-detail", args=[handover.reference])
    page = client.get(url).content.decode()
    assert "Ola" in page and "hungry" in page  # identity and narrative were disclosed
    assert "serious_neglect" not in page and "omsorgssvikt" not in page  # categories were not
    assert reverse("referrals:detail", args=[filed.reference]) not in page  # no way into the whole referral
    assert client.get(reverse("referrals:detail", args=[filed.reference])).status_code == 404

    bad = client.post(reverse("referrals:handover-acknowledge", args=[handover.reference]),
                      {"external_reference": ""}, follow=True)
    assert "påkrevd" in bad.content.decode()
    handover.refresh_from_db()
    assert handover.status == "pending"

    client.post(reverse("referrals:handover-acknowledge", args=[handover.reference]),
                {"external_reference": "SØ-2026-4711"})
    client.post(reverse("referrals:handover-accept", args=[handover.reference]))
    handover.refresh_from_db()
    assert handover.status == "accepted" and handover.external_reference == "SØ-2026-4711"

    client.logout()
    sign_in(client, world.coordinator)
    referral_page = client.get(reverse("referrals:detail", args=[filed.reference])).content.decode()
    assert "SØ-2026-4711" in referral_page and "Godtatt" in referral_page


def test_a_second_acknowledgement_shows_a_message_and_changes_nothing(world, client, handover):
    sign_in(client, world.liaison)
    url = reverse("referrals:handover-acknowledge", args=[handover.reference])
    client.post(url, {"external_reference": "first"})
    response = client.post(url, {"external_reference": "second"}, follow=True)
    assert 'role="alert"' in response.content.decode()
    handover.refresh_from_db()
    assert handover.external_reference == "first"


def test_the_liaison_cannot_revoke_and_the_sender_can(world, client, handover):
    sign_in(client, world.liaison)
    client.post(reverse("referrals:handover-revoke", args=[handover.reference]), {"reason": ""})
    handover.refresh_from_db()
    assert handover.status == "pending"
    assert AuditEvent.objects.filter(action="handover.revoke", outcome="denied", actor=world.liaison).exists()
    client.logout()
    sign_in(client, world.coordinator)
    client.post(reverse("referrals:handover-revoke", args=[handover.reference]), {"reason": "Wrong district"})
    handover.refresh_from_db()
    assert handover.status == "revoked" and handover.revoke_reason == "Wrong district"


def test_an_outsider_gets_404_on_the_handover_page(world, client, handover):
    sign_in(client, world.outsider)
    assert client.get(reverse("referrals:handover-detail", args=[handover.reference])).status_code == 404
    assert AuditEvent.objects.filter(action="handover.read", outcome="denied", actor=world.outsider).exists()


def test_the_notification_opens_the_handover(world, client, handover):
    from referrals.models import Notification
    from referrals.tasks import deliver_notification

    row = Notification.objects.get(recipient=world.liaison, handover=handover)
    deliver_notification(row.pk)
    sign_in(client, world.liaison)
    response = client.post(reverse("notification-read", args=[row.pk]))
    assert response["Location"] == reverse("referrals:handover-detail", args=[handover.reference])


def test_a_person_saves_their_notification_settings(world, client):
    sign_in(client, world.liaison)
    assert client.get(reverse("notification-preferences")).status_code == 200
    client.post(reverse("notification-preferences"), {"email_events": ["handover.received"], "daily_digest": "on"})
    preference = NotificationPreference.objects.get(user=world.liaison)
    assert preference.email_events == ["handover.received"] and preference.daily_digest


def test_a_coordinator_acknowledges_a_routing_on_the_referral_page(world, client, filed):
    sign_in(client, world.coordinator)
    page = client.get(reverse("referrals:detail", args=[filed.reference])).content.decode()
    assert 'id="routing-acknowledge-form"' in page
    client.post(reverse("referrals:routing-acknowledge", args=[filed.reference]))
    assert filed.routings.get().acknowledged_by == world.coordinator
    page = client.get(reverse("referrals:detail", args=[filed.reference])).content.decode()
    assert 'id="routing-acknowledge-form"' not in page
