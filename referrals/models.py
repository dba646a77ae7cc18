"""Children, the referrals (concerns) filed about them, where they were routed, and the
notification outbox."""

import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

CONCERN_MAX_LENGTH = 10_000
# Crockford's base32 without I, L, O, U: easy to read aloud over the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """An opaque reference: says nothing about the child, safe in e-mails and URLs."""
    return "SV-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


class Category(models.TextChoices):
    IMMEDIATE_DANGER = "A", _("A. Immediate danger")
    RECRUITMENT = "B", _("B. Recruitment to violence for hire")
    SEXUAL_EXPLOITATION = "C", _("C. Sexual exploitation")
    FORCED_LABOUR = "D", _("D. Forced labour or services")
    MIGRATION_TRAFFICKING = "E", _("E. Migration-linked trafficking")
    ABUSE_NEGLECT = "F", _("F. Abuse or neglect at home")


class Urgency(models.TextChoices):
    P0 = "P0", _("P0: act now")
    P1 = "P1", _("P1: same day")
    P2 = "P2", _("P2: within days")
    P3 = "P3", _("P3: no deadline")


class Child(models.Model):
    """A child a concern is about. Identity may be incomplete: that never blocks filing."""

    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    estimated_age = models.PositiveSmallIntegerField(
        _("estimated age"), null=True, blank=True, validators=[MaxValueValidator(17)],
    )
    municipality = models.ForeignKey(
        "agencies.Municipality", on_delete=models.PROTECT, related_name="children",
        verbose_name=_("municipality"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")

    def __str__(self) -> str:
        # Deliberately not the name: str() of a model ends up in logs and admin messages.
        return f"child #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Received")

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference, editable=False)
    child = models.ForeignKey(Child, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("child"))
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_referrals",
        verbose_name=_("reporter"),
    )
    reporting_agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="filed_referrals",
        verbose_name=_("reporting agency"),
    )
    category = models.CharField(_("category"), max_length=1, choices=Category.choices)
    concern = models.TextField(
        _("what you have observed"), validators=[MaxLengthValidator(CONCERN_MAX_LENGTH)],
    )
    urgency = models.CharField(_("urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P1)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("received"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        permissions = [("work_on_referral", _("Work on this referral as its caseworker"))]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return self.reference


class Routing(models.Model):
    """One agency a referral was routed to, and why."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="routings",
                                 verbose_name=_("referral"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="routings",
                               verbose_name=_("agency"))
    reason = models.CharField(_("why"), max_length=300)
    legal_basis = models.CharField(_("legal basis"), max_length=100)
    created_at = models.DateTimeField(_("routed"), auto_now_add=True)

    class Meta:
        verbose_name = _("routing")
        verbose_name_plural = _("routings")
        constraints = [
            models.UniqueConstraint(fields=["referral", "agency"], name="routing_one_per_agency"),
        ]
        indexes = [models.Index(fields=["agency", "created_at"])]

    def __str__(self) -> str:
        return f"{self.referral} → {self.agency}"


class Notification(models.Model):
    """The outbox: one row per recipient, written in the same transaction as the change.

    A Celery task delivers it (the in-app inbox shows delivered rows; an e-mail with only
    the reference and a link goes out). delivered_at is claimed with a conditional update,
    so a redelivered task never sends twice; a periodic sweep re-enqueues rows left unsent.
    """

    class Event(models.TextChoices):
        REFERRAL_ROUTED = "referral.routed", _("A referral was routed to your agency")

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="notifications", verbose_name=_("recipient"))
    event = models.CharField(_("event"), max_length=64, choices=Event.choices)
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, null=True, blank=True,
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


class ReferralUserObjectPermission(UserObjectPermissionBase):
    """django-guardian direct foreign-key grants on one referral (e.g. an assigned caseworker)."""

    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)


class ReferralGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Referral, on_delete=models.CASCADE)
