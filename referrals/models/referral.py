"""The referral (a concern about a child) and what the reporter records with it."""

import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .taxonomy import Category, DutyTrigger, Indicator, Urgency

CONCERN_MAX_LENGTH = 10_000
# Crockford's base32 without I, L, O, U: easy to read aloud over the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """An opaque reference: says nothing about the child, safe in e-mails and URLs."""
    return "SV-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


class Referral(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Received, awaiting review")
        EMERGENCY = "emergency", _("Emergency measure taken")
        INVESTIGATING = "investigating", _("Under investigation")
        DISMISSED = "dismissed", _("Dismissed")
        CLOSED = "closed", _("Investigation ended")

    OPEN_STATUSES = (Status.SUBMITTED, Status.EMERGENCY, Status.INVESTIGATING)

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_reference,
                                 editable=False)
    child = models.ForeignKey("referrals.Child", on_delete=models.PROTECT, related_name="referrals",
                              verbose_name=_("child"))
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="filed_referrals", verbose_name=_("reporter"))
    reporting_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                                         related_name="filed_referrals", verbose_name=_("reporting agency"))
    categories = models.ManyToManyField(Category, related_name="referrals", verbose_name=_("categories"))
    indicators = models.ManyToManyField(Indicator, related_name="referrals", blank=True,
                                        verbose_name=_("indicators"))
    duty_triggers = models.JSONField(_("duty to report (barnevernsloven § 13-2)"), default=list, blank=True)
    platforms = models.JSONField(_("platforms involved"), default=list, blank=True)
    concern = models.TextField(_("what you have observed"), blank=True,
                               validators=[MaxLengthValidator(CONCERN_MAX_LENGTH)])
    observed_on = models.DateField(_("when it was observed"), null=True, blank=True)
    observed_where = models.CharField(_("where it was observed"), max_length=200, blank=True)
    emergency_called = models.BooleanField(_("called 112 or the emergency unit"), default=False)
    emergency_called_at = models.DateTimeField(_("when you called"), null=True, blank=True)
    # The consent the reporter recorded on the form (who gave it, written or oral, the
    # child's view), for the routings that rest on consent; at submission it becomes a
    # Consent row naming the agencies those routings reach. Empty: no consent.
    filing_consent = models.JSONField(_("consent recorded when filing"), default=dict, blank=True)
    urgency = models.CharField(_("urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P1)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("received"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="assigned_referrals", verbose_name=_("caseworker"))
    case = models.ForeignKey("referrals.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="referrals", verbose_name=_("case"))

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        permissions = [("work_on_referral", _("Work on this referral as its caseworker")),
                       ("break_glass_referral", _("Read this referral under a break-the-glass grant"))]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_mandatory(self) -> bool:
        """A § 13-2 trigger makes the report mandatory: no consent needed."""
        return bool(self.duty_triggers)

    def duty_trigger_labels(self) -> list[str]:
        labels = dict(DutyTrigger.choices)
        return [str(labels.get(code, code)) for code in self.duty_triggers]


class Guardian(models.Model):
    """A parent or guardian (at most two per referral), and whether they were told."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="guardians",
                                 verbose_name=_("referral"))
    position = models.PositiveSmallIntegerField(_("guardian number"), choices=[(1, "1"), (2, "2")])
    name = models.CharField(_("name"), max_length=200)
    contact = models.CharField(_("phone or e-mail"), max_length=200, blank=True)
    informed = models.BooleanField(_("told about this concern"))
    not_informed_reason = models.CharField(_("why not told"), max_length=500, blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        constraints = [
            models.UniqueConstraint(fields=["referral", "position"], name="guardian_position_once"),
        ]


class PersonOfConcern(models.Model):
    """Someone the reporter believes is exploiting or steering the child."""

    class Role(models.TextChoices):
        ORDERER = "orderer", _("Orderer (bestiller)")
        RECRUITER = "recruiter", _("Recruiter (rekrutterer)")
        FACILITATOR = "facilitator", _("Facilitator (tilrettelegger)")
        OTHER = "other", _("Other")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="people_of_concern",
                                 verbose_name=_("referral"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    name = models.CharField(_("name or alias"), max_length=200, blank=True)
    description = models.CharField(_("description"), max_length=1000, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("person of concern")
        verbose_name_plural = _("people of concern")


class Identifier(models.Model):
    """An identifier that is not a person (username, channel, phone number, payment
    reference, alias). The same identifier in two referrals makes a link visible."""

    class Kind(models.TextChoices):
        USERNAME = "username", _("Username")
        CHANNEL = "channel", _("Channel or group name")
        PHONE = "phone", _("Phone number")
        PAYMENT = "payment", _("Payment reference")
        ALIAS = "alias", _("Alias")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="identifiers",
                                 verbose_name=_("referral"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    platform = models.CharField(_("platform"), max_length=16, blank=True)
    value = models.CharField(_("identifier"), max_length=200)
    normalized = models.CharField(_("normalised identifier"), max_length=200, editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        indexes = [models.Index(fields=["kind", "normalized"], name="identifier_lookup")]


class Addendum(models.Model):
    """After submitting, a reporter cannot edit the referral, only add to it."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="addenda",
                                 verbose_name=_("referral"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    text = models.TextField(_("addendum"), validators=[MaxLengthValidator(CONCERN_MAX_LENGTH)])
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
