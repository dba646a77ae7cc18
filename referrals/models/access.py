"""Break the glass: time-limited access to one referral outside one's scope, asked for
with a written reason, granted at once, flagged for auditors, and ending by itself."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

BREAK_GLASS_MIN_HOURS = 1
BREAK_GLASS_MAX_HOURS = 24
BREAK_GLASS_REASON_MIN_LENGTH = 20
BREAK_GLASS_REASON_MAX_LENGTH = 2_000


class BreakGlassGrant(models.Model):
    """One grant. Access is checked against expires_at (so it ends on time even if the
    periodic task is late); the task then removes the django-guardian permission and
    sets revoked_at."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="break_glass_grants",
                                 verbose_name=_("referral"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_grants",
                             verbose_name=_("user"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency"))
    role = models.CharField(_("role"), max_length=32)
    reason = models.TextField(_("reason"), max_length=BREAK_GLASS_REASON_MAX_LENGTH)
    hours = models.PositiveSmallIntegerField(_("hours"))
    granted_at = models.DateTimeField(_("granted"))
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("permission removed"), null=True, blank=True)

    class Meta:
        ordering = ["-granted_at", "-id"]
        verbose_name = _("break-the-glass grant")
        verbose_name_plural = _("break-the-glass grants")
        indexes = [
            models.Index(fields=["user", "referral", "expires_at"], name="break_glass_user_referral"),
            models.Index(fields=["expires_at"], condition=models.Q(revoked_at__isnull=True),
                         name="break_glass_unrevoked"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=BREAK_GLASS_MIN_HOURS,
                                                      hours__lte=BREAK_GLASS_MAX_HOURS),
                                   name="break_glass_hours_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.referral_id} until {self.expires_at:%Y-%m-%d %H:%M}"
