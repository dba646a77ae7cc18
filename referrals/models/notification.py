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
        BREAK_GLASS = "referral.break_glass", _("Someone broke the glass to read a referral")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", verbose_name=_("recipient"))
    event = models.CharField(_("event"), max_length=64, choices=Event.choices)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="notifications", verbose_name=_("referral"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("agency"))
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

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_id}"
