"""Celery tasks: delivering the notification outbox, and the sweep that loses nothing."""

import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .models import Notification

logger = logging.getLogger(__name__)


@shared_task(
    bind=True, acks_late=True, autoretry_for=(SMTPException, OSError),
    retry_backoff=True, retry_backoff_max=600, max_retries=10,
)
def deliver_notification(self, notification_id: int) -> str:
    """Deliver one outbox row: into the inbox, and by e-mail when the user has an address.

    The claim (delivered_at set where it was empty) and the e-mail run in one transaction:
    a second copy of this task blocks on the row, then finds it delivered and does nothing;
    if the e-mail fails or the worker dies, the claim rolls back and a retry or the sweep
    delivers it later.
    """
    with transaction.atomic():
        claimed = Notification.objects.filter(pk=notification_id, delivered_at__isnull=True).update(
            delivered_at=timezone.now(), attempts=F("attempts") + 1
        )
        if not claimed:
            return "already-delivered-or-missing"
        notification = Notification.objects.select_related("recipient", "referral", "agency").get(
            pk=notification_id
        )
        recipient = notification.recipient
        if recipient.email and recipient.is_active:
            subject, body = _email(notification)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
            Notification.objects.filter(pk=notification_id).update(emailed=True)
    logger.info("notification %s delivered", notification_id)
    return "delivered"


def _email(notification: Notification) -> tuple[str, str]:
    """Subject and body: the event, the opaque reference and a link. Never child data."""
    reference = notification.referral.reference if notification.referral else ""
    link = settings.SITE_URL + (
        reverse("referrals:detail", args=[reference]) if reference else reverse("inbox")
    )
    with translation.override(notification.recipient.language):
        context = {"notification": notification, "reference": reference, "link": link,
                   "event": notification.get_event_display()}
        subject = render_to_string("referrals/email/notification_subject.txt", context).strip()
        body = render_to_string("referrals/email/notification_body.txt", context)
    return " ".join(subject.split()), body


@shared_task
def sweep_unsent_notifications() -> int:
    """Re-enqueue every row still undelivered after a minute (a lost message, a dead worker,
    a Redis restart). Delivery is idempotent, so a row enqueued twice is still sent once."""
    cutoff = timezone.now() - settings.NOTIFICATION_SWEEP_AFTER
    ids = list(
        Notification.objects.filter(delivered_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:5000]
    )
    for pk in ids:
        deliver_notification.delay(pk)
    if ids:
        logger.warning("sweep re-enqueued %d undelivered notifications", len(ids))
    return len(ids)


@shared_task
def check_deadlines() -> dict:
    """Celery beat, every few minutes: remind two days before a statutory deadline and on
    the day; escalate a breach to the agency's coordinators and agency admins. Each step is
    claimed with a conditional update, so two beats never send it twice; each is audited."""
    from .services.deadlines import remind_and_escalate

    return remind_and_escalate(now=timezone.now())


@shared_task
def expire_break_glass() -> int:
    """Celery beat, every few minutes: remove the permission of every break-the-glass grant
    that has ended, and audit it. Access already ends at expires_at (the access check
    reads it); this tidies the permission table and records the end."""
    from .services.access import break_glass_expire

    return break_glass_expire(now=timezone.now())
