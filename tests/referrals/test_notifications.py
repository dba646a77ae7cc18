"""The outbox: enqueued on commit, delivered once, e-mails without child data, swept."""

from datetime import timedelta
from smtplib import SMTPException
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from referrals import notifications
from referrals.models import Notification, Referral
from referrals.tasks import deliver_notification, sweep_unsent_notifications


@pytest.fixture
def filed(world, api, referral_payload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 201
    return Referral.objects.get(reference=response.json()["reference"]), callbacks


def test_it_enqueues_delivery_only_after_commit(filed):
    referral, callbacks = filed
    rows = Notification.objects.filter(referral=referral)
    assert rows.count() == 2 and not rows.filter(delivered_at__isnull=False).exists()
    # Each callback is partial(enqueue_delivery, pk): bound now, run after commit.
    assert all(callback.func == notifications.enqueue_delivery for callback in callbacks)
    assert sorted(callback.args[0] for callback in callbacks) == sorted(rows.values_list("pk", flat=True))


def test_it_delivers_once_even_when_the_task_runs_twice(filed, world):
    referral, _ = filed
    row = Notification.objects.get(recipient=world.coordinator)

    assert deliver_notification(row.pk) == "delivered"
    assert deliver_notification(row.pk) == "already-delivered-or-missing"

    row.refresh_from_db()
    assert row.delivered_at is not None and row.emailed and row.attempts == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [world.coordinator.email]


def test_it_puts_only_the_reference_and_a_link_in_the_email(filed, world):
    referral, _ = filed
    deliver_notification(Notification.objects.get(recipient=world.coordinator).pk)
    message = mail.outbox[0]
    text = message.subject + message.body
    assert referral.reference in text
    assert f"/referrals/{referral.reference}/" in message.body
    for secret in ("Ola", "Nordmann", "2012", "oppdrag", referral.reporting_agency.name):
        assert secret not in text


def test_it_writes_the_email_in_the_recipients_language(filed, world):
    world.coordinator.language = "en"
    world.coordinator.save()
    deliver_notification(Notification.objects.get(recipient=world.coordinator).pk)
    assert "A referral was routed to your agency" in mail.outbox[0].subject


def test_it_leaves_the_row_unsent_when_the_email_fails(filed, world):
    row = Notification.objects.get(recipient=world.coordinator)
    with mock.patch("referrals.tasks.send_mail", side_effect=SMTPException("down")):
        with pytest.raises(SMTPException):
            deliver_notification.run(row.pk)
    row.refresh_from_db()
    assert row.delivered_at is None and not row.emailed


def test_it_sweeps_rows_left_unsent_for_a_minute(filed, world):
    referral, _ = filed
    old, fresh = Notification.objects.filter(referral=referral).order_by("pk")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    with mock.patch.object(deliver_notification, "delay") as delay:
        assert sweep_unsent_notifications() == 1
    delay.assert_called_once_with(old.pk)


def test_it_shows_only_delivered_notifications_in_the_api_inbox(filed, world, api):
    row = Notification.objects.get(recipient=world.coordinator)
    assert api(world.coordinator).get("/api/v1/notifications/").json()["results"] == []
    deliver_notification(row.pk)
    results = api(world.coordinator).get("/api/v1/notifications/").json()["results"]
    assert [r["id"] for r in results] == [row.pk]
    assert results[0]["reference"] == row.referral.reference


def test_a_broker_outage_at_commit_leaves_the_row_for_the_sweep_and_the_request_succeeds(
        world, api, referral_payload, django_capture_on_commit_callbacks):
    with mock.patch("referrals.tasks.deliver_notification.delay", side_effect=OSError("broker down")), \
            django_capture_on_commit_callbacks(execute=True):
        response = api(world.reporter).post("/api/v1/referrals/", referral_payload, format="json")
    assert response.status_code == 201
    rows = Notification.objects.filter(referral__reference=response.json()["reference"])
    assert rows.count() == 2 and not rows.filter(delivered_at__isnull=False).exists()
