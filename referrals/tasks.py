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

from .models import DigestSent, Notification, NotificationPreference
from .services.inbox import preferences_for

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
        notification = Notification.objects.select_related("recipient", "referral", "agency", "handover").get(
            pk=notification_id
        )
        recipient = notification.recipient
        if recipient.email and recipient.is_active and preferences_for(recipient).emails(notification.event):
            subject, body = _email(notification)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient.email])
            Notification.objects.filter(pk=notification_id).update(emailed=True)
    logger.info("notification %s delivered", notification_id)
    return "delivered"


def _email(notification: Notification) -> tuple[str, str]:
    """Subject and body: the event, the opaque reference and a link. Never child data."""
    if notification.handover_id:
        reference = notification.handover.reference
        link = settings.SITE_URL + reverse("referrals:handover-detail", args=[reference])
    else:
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
def escalate_unacknowledged() -> dict:
    """Celery beat, every few minutes: every handover or routing not acknowledged by its
    deadline escalates, step after step, until someone answers (each step audited)."""
    from .services.escalation import escalate_unacknowledged as escalate

    return escalate(now=timezone.now())


@shared_task
def expire_consents() -> int:
    """Celery beat, every few minutes: a consent whose validity ran out ends like a
    withdrawn one: nothing more leaves under it, access that rested on it ends, recipients
    are told (each audited)."""
    from .services.consent import consents_expire

    return consents_expire(now=timezone.now())


@shared_task(bind=True, acks_late=True, autoretry_for=(SMTPException, OSError), retry_backoff=True,
             max_retries=5)
def send_daily_digests(self) -> int:
    """Celery beat, each morning: one e-mail per person who asked for a digest, with how
    many unread notifications of each kind they have and a link; never child data. A
    DigestSent row per person and day is the claim, so a second run sends nothing."""
    from . import clocks

    day = clocks.oslo_date(timezone.now())
    sent = 0
    for preference in NotificationPreference.objects.filter(daily_digest=True, user__is_active=True).exclude(
            user__email="").select_related("user"):
        user = preference.user
        with transaction.atomic():
            if DigestSent.objects.filter(user=user, day=day).exists():
                continue
            DigestSent.objects.create(user=user, day=day)
            counts = digest_counts(user)
            if not counts:
                continue
            subject, body = _digest_email(user, counts)
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
            sent += 1
    return sent


def digest_counts(user) -> list[tuple[str, int]]:
    """Unread notifications by event: (label, count), most frequent first."""
    from django.db.models import Count

    labels = dict(Notification.Event.choices)
    rows = (Notification.objects.filter(recipient=user, delivered_at__isnull=False, read_at__isnull=True)
            .values("event").annotate(n=Count("pk")).order_by("-n", "event"))
    return [(str(labels.get(r["event"], r["event"])), r["n"]) for r in rows]


def _digest_email(user, counts) -> tuple[str, str]:
    with translation.override(user.language):
        context = {"counts": counts, "total": sum(n for _label, n in counts),
                   "link": settings.SITE_URL + reverse("inbox")}
        subject = render_to_string("referrals/email/digest_subject.txt", context).strip()
        body = render_to_string("referrals/email/digest_body.txt", context)
    return " ".join(subject.split()), body


@shared_task
def expire_break_glass() -> int:
    """Celery beat, every few minutes: remove the permission of every break-the-glass grant
    that has ended, and audit it. Access already ends at expires_at (the access check
    reads it); this tidies the permission table and records the end."""
    from .services.access import break_glass_expire

    return break_glass_expire(now=timezone.now())
