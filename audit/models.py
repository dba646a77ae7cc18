"""The audit trail: one append-only row per thing that happened or was looked at."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Audit events are never changed or deleted."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Audit events cannot be deleted.")

    _raw_delete = delete


class AuditEvent(models.Model):
    """Append-only. On PostgreSQL a trigger also refuses UPDATE and DELETE (migration 0002)."""

    class Outcome(models.TextChoices):
        OK = "ok", _("Done")
        DENIED = "denied", _("Denied")
        FAILED = "failed", _("Failed")

    occurred_at = models.DateTimeField(_("time (UTC)"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("actor"),
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("agency"),
    )
    role = models.CharField(_("role"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, default=Outcome.OK)
    target_type = models.CharField(_("target type"), max_length=64, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    child_id = models.BigIntegerField(_("child"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis or purpose"), max_length=100, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    changes = models.JSONField(_("what changed"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["child_id", "occurred_at"], name="audit_child_time"),
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_time"),
            models.Index(fields=["action", "occurred_at"], name="audit_action_time"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
            models.Index(fields=["occurred_at"], name="audit_time"),
            # The auditor's search by agency and by user name (audit/selectors.py); the
            # name, not the user id, so that failed sign-ins (no user) are found too.
            models.Index(fields=["agency", "occurred_at"], name="audit_agency_time"),
            models.Index(fields=["actor_username", "occurred_at"], name="audit_username_time"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events cannot be deleted.")


class SealedBlockQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Sealed blocks cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Sealed blocks cannot be deleted.")

    _raw_delete = delete


class SealedBlock(models.Model):
    """A run of audit events, in id order, sealed into a hash chain (see audit.sealing).

    Append-only like the events; on PostgreSQL a trigger refuses UPDATE and DELETE too.
    ``event_ids`` and ``event_digests`` locate a damaged event; ``block_hash`` is the proof.
    """

    number = models.PositiveBigIntegerField(_("block number"), unique=True)
    first_event_id = models.BigIntegerField(_("first event"))
    last_event_id = models.BigIntegerField(_("last event"))
    event_count = models.PositiveIntegerField(_("events"))
    previous_hash = models.CharField(_("previous block hash"), max_length=64, unique=True)
    block_hash = models.CharField(_("block hash"), max_length=64, unique=True)
    event_ids = models.BinaryField(_("event ids"))
    event_digests = models.BinaryField(_("event digests"))
    sealed_at = models.DateTimeField(_("sealed at (UTC)"), default=timezone.now)

    objects = SealedBlockQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name = _("sealed block")
        verbose_name_plural = _("sealed blocks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_event_id__lte=models.F("last_event_id"), event_count__gt=0),
                name="audit_block_range",
            ),
            models.UniqueConstraint(fields=["last_event_id"], name="audit_block_last_event"),
        ]

    def __str__(self) -> str:
        return f"#{self.number} ({self.first_event_id}–{self.last_event_id})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Sealed blocks cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Sealed blocks cannot be deleted.")
class Anomaly(models.Model):
    """Something in the trail an auditor should look at: found by the periodic scan over
    one time window (audit/anomalies.py), one row per kind, user, agency and window."""

    class Kind(models.TextChoices):
        MANY_READS = "many_reads", _("Unusually many reads")
        DENIED = "denied", _("Attempts to open what the user may not see")
        BREAK_GLASS = "break_glass", _("Break-the-glass access")
        NIGHT_READS = "night_reads", _("Reads at night (22-06)")

    key = models.CharField(_("key"), max_length=120, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("user"),
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("agency"),
    )
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    count = models.PositiveIntegerField(_("events"))
    baseline = models.FloatField(_("agency median"), null=True, blank=True)
    first_event_id = models.BigIntegerField(_("first event"))
    last_event_id = models.BigIntegerField(_("last event"))
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)

    class Meta:
        ordering = ["-window_start", "-id"]
        verbose_name = _("anomaly")
        verbose_name_plural = _("anomalies")
        indexes = [
            models.Index(fields=["window_start", "id"], name="anomaly_window"),
            models.Index(fields=["agency", "window_start"], name="anomaly_agency_window"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.actor_username} {self.window_start:%Y-%m-%d %H:%M}"


class AnomalyReview(models.Model):
    """An auditor has looked at an anomaly: who, when, and what they concluded."""

    anomaly = models.OneToOneField(Anomaly, on_delete=models.PROTECT, related_name="review",
                                   verbose_name=_("anomaly"))
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed"), default=timezone.now)
    note = models.TextField(_("note"), max_length=2000)

    class Meta:
        verbose_name = _("anomaly review")
        verbose_name_plural = _("anomaly reviews")
