"""The in-app inbox through the API, per-person e-mail preferences, the daily digest, and
news that reaches one inbox once."""

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from referrals import notifications
from referrals.models import DigestSent, Notification, NotificationPreference, Referral
from referrals.tasks import deliver_notification, send_daily_digests


@pytest.fixture
def filed(world, api, referral_payload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    return Referral.objects.get(reference=response.json()["reference"])


def test_it_sends_no_email_for_an_event_the_person_turned_off_but_still_fills_the_inbox(world, api, filed):
    response = api(world.coordinator).put("/api/v1/notifications/preferences/",
                                          {"email_events": ["handover.received"], "daily_digest": False},
                                          format="json")
    assert response.status_code == 200 and response.json()["email_events"] == ["handover.received"]
    assert AuditEvent.objects.filter(action="notification.preferences_updated", actor=world.coordinator).exists()
    row = Notification.objects.get(referral=filed, recipient=world.coordinator)
    other = Notification.objects.get(referral=filed, recipient=world.second_coordinator)
    deliver_notification(row.pk)
    deliver_notification(other.pk)
    row.refresh_from_db()
    assert row.delivered_at is not None and not row.emailed
    assert [m.to for m in mail.outbox] == [[world.second_coordinator.email]]
    assert api(world.coordinator).get("/api/v1/notifications/unread-count/").json() == {"unread": 1}


def test_it_emails_everything_until_a_person_chooses(world, api):
    body = api(world.liaison).get("/api/v1/notifications/preferences/").json()
    assert set(body["email_events"]) == set(Notification.Event.values) and body["daily_digest"] is False


def test_it_refuses_unknown_events_and_changes_nothing(world, api):
    response = api(world.liaison).put("/api/v1/notifications/preferences/",
                                      {"email_events": ["nonsense"], "daily_digest": True}, format="json")
    assert response.status_code == 400 and "email_events" in response.json()
    assert not NotificationPreference.objects.exists()


def test_it_marks_read_one_or_all_and_only_ones_own(world, api, filed):
    for row in Notification.objects.filter(referral=filed):
        deliver_notification(row.pk)
    mine = Notification.objects.get(recipient=world.coordinator)
    theirs = Notification.objects.get(recipient=world.second_coordinator)
    assert api(world.coordinator).post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    response = api(world.coordinator).post(f"/api/v1/notifications/{mine.pk}/read/")
    assert response.status_code == 200 and response.json()["read_at"]
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api(world.second_coordinator).post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert api(world.second_coordinator).get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


def test_the_same_news_reaches_one_inbox_once(world, filed):
    first = notifications.enqueue(event="handover.received", recipient_ids=[world.liaison.pk], key="handover:1:x")
    again = notifications.enqueue(event="handover.received", recipient_ids=[world.liaison.pk], key="handover:1:x")
    assert len(first) == 1 and again == []
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(recipient=world.liaison, event="handover.received", key="handover:1:x")
    assert Notification.objects.filter(key="handover:1:x").count() == 1


def test_it_sends_one_digest_a_day_with_counts_and_no_child_data(world, api, filed):
    api(world.coordinator).put("/api/v1/notifications/preferences/",
                               {"email_events": [], "daily_digest": True}, format="json")
    for row in Notification.objects.filter(referral=filed):
        deliver_notification(row.pk)
    mail.outbox.clear()
    assert send_daily_digests() == 1
    assert send_daily_digests() == 0  # claimed for today
    [message] = mail.outbox
    assert message.to == [world.coordinator.email]
    assert ": 1" in message.body and "/inbox/" in message.body
    child = filed.child
    for secret in (child.given_name, child.family_name, filed.concern[:20], filed.reference):
        assert secret not in message.body and secret not in message.subject
    assert DigestSent.objects.filter(user=world.coordinator).count() == 1
