"""The notification outbox."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One row per recipient, written in the same transaction as the change.

    A Celery task delivers it (the in-app inbox shows delivered rows; an e-mail with only
    the reference and a link goes out). delivered_at is claimed with a conditional update,
    so a redelivered task never sends twice; a periodic sweep re-enqueues rows left unsent.
    """

    class Event(models.TextChoices):
        REFERRAL_ROUTED = "referral.routed", _("A referral was routed to your agency")
        REFERRAL_ADDENDUM = "referral.addendum", _("The reporter added information to a referral")
        FEEDBACK_SENT = "referral.feedback", _("Child welfare has sent you feedback on a referral")
        ASSIGNED = "referral.assigned", _("A referral was assigned to you")
        DEADLINE_SOON = "deadline.soon", _("A deadline is two days away")
        DEADLINE_TODAY = "deadline.today", _("A deadline is today")
        DEADLINE_BREACHED = "deadline.breached", _("A statutory deadline has been missed")
        ROUTING_OVERDUE = "routing.overdue", _("A referral routed to your agency has not been acknowledged")
        HANDOVER_RECEIVED = "handover.received", _("A handover was sent to your agency")
        HANDOVER_ACKNOWLEDGED = "handover.acknowledged", _("Your handover was acknowledged")
        HANDOVER_ACCEPTED = "handover.accepted", _("Your handover was accepted")
        HANDOVER_DECLINED = "handover.declined", _("Your handover was declined")
        HANDOVER_REVOKED = "handover.revoked", _("A handover to your agency was revoked")
        HANDOVER_MESSAGE = "handover.message", _("A new message on a handover")
        HANDOVER_OVERDUE = "handover.overdue", _("A handover has not been acknowledged in time")
        BREAK_GLASS = "referral.break_glass", _("Someone broke the glass to read a referral")
        CONSENT_ENDED = "consent.ended", _("A consent your agency received information on was withdrawn or expired")
        IDENTITY_SHARED = "routing.identity_shared", _(
            "A consent was recorded: you can now see who the child in a referral is")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", verbose_name=_("recipient"))
    event = models.CharField(_("event"), max_length=64, choices=Event.choices)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="notifications", verbose_name=_("referral"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("agency"))
    handover = models.ForeignKey("referrals.Handover", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="notifications", verbose_name=_("handover"))
    # What this row tells, once per person (e.g. "handover:12:received"): a retried service
    # or a second sweep cannot put the same news in someone's inbox twice.
    key = models.CharField(_("key"), max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    emailed = models.BooleanField(_("e-mail sent"), default=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["created_at"], condition=models.Q(delivered_at__isnull=True),
                         name="notification_unsent"),
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], condition=~models.Q(key=""),
                                    name="notification_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """Which events reach a person by e-mail (all of them until they choose), and whether
    they want a daily digest. The in-app inbox always gets everything."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference", verbose_name=_("user"))
    email_events = models.JSONField(_("events sent by e-mail"), default=list, blank=True)
    daily_digest = models.BooleanField(_("daily digest by e-mail"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user)

    def emails(self, event: str) -> bool:
        return event in self.email_events


class DigestSent(models.Model):
    """One daily digest per person per day, claimed by inserting this row."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_once_a_day")]
