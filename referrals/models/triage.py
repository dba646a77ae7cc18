"""Triage by the child welfare service: statutory clocks (data, with the law reference),
the deadlines they set on a referral, decisions, feedback to the reporter, caseworker
assignments, cases that join referrals about one child, and internal notes."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

TEXT_MAX_LENGTH = 10_000


class StatutoryClock(models.Model):
    """How long the law gives for something, and where it says so. Data, because the
    law is being revised."""

    class Code(models.TextChoices):
        REVIEW = "review", _("Review of the concern")
        INVESTIGATION = "investigation", _("Investigation")
        INVESTIGATION_EXTENDED = "investigation_extended", _("Investigation, extended")
        FEEDBACK_RECEIPT = "feedback_receipt", _("Confirmation of receipt to the reporter")
        FEEDBACK_AFTER_INVESTIGATION = "feedback_after_investigation", _(
            "Feedback to the reporter after the investigation")

    code = models.CharField(_("code"), max_length=32, choices=Code.choices, unique=True)
    law_reference = models.CharField(_("law reference"), max_length=120)
    description_nb = models.CharField(_("description (bokmål)"), max_length=300)
    description_en = models.CharField(_("description (English)"), max_length=300)
    days = models.PositiveSmallIntegerField(_("days"), default=0)
    months = models.PositiveSmallIntegerField(_("months"), default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("statutory clock")
        verbose_name_plural = _("statutory clocks")

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.law_reference})"

    @property
    def description(self) -> str:
        return self.description_en if (get_language() or "nb").startswith("en") else self.description_nb


class Deadline(models.Model):
    """A clock running on one referral. At most one of each kind per referral."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        MET = "met", _("Met")
        CANCELLED = "cancelled", _("No longer needed")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="deadlines",
                                 verbose_name=_("referral"))
    clock = models.ForeignKey(StatutoryClock, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("clock"))
    kind = models.CharField(_("kind"), max_length=32, choices=StatutoryClock.Code.choices)
    starts_at = models.DateTimeField(_("counted from"))
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    met_at = models.DateTimeField(_("met"), null=True, blank=True)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    reminded_before_at = models.DateTimeField(_("reminder sent (two days before)"), null=True, blank=True)
    reminded_due_at = models.DateTimeField(_("reminder sent (on the day)"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breach escalated"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [models.UniqueConstraint(fields=["referral", "kind"], name="deadline_one_per_kind")]
        indexes = [models.Index(fields=["state", "due_at"], name="deadline_open_due")]

    def __str__(self) -> str:
        return f"{self.referral} {self.kind} {self.due_at:%Y-%m-%d}"

    @property
    def is_overdue(self) -> bool:
        from django.utils import timezone

        return self.state == self.State.OPEN and self.due_at < timezone.now()

    @property
    def met_late(self) -> bool:
        return self.met_at is not None and self.met_at > self.due_at


class Decision(models.Model):
    """A decision on the record. Together they drive the referral's status."""

    class Kind(models.TextChoices):
        OPEN_INVESTIGATION = "open_investigation", _("Open an investigation")
        DISMISS = "dismiss", _("Dismiss (henlegg)")
        EMERGENCY_MEASURE = "emergency_measure", _("Act immediately (emergency measure)")
        FORWARD = "forward", _("Forward to another agency")
        REROUTE = "reroute", _("Wrong municipality: send to the right child welfare service")
        EXTEND_INVESTIGATION = "extend_investigation", _("Extend the investigation to 6 months")
        CLOSE_INVESTIGATION = "close_investigation", _("Close the investigation")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="decisions",
                                 verbose_name=_("referral"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency"))
    kind = models.CharField(_("decision"), max_length=32, choices=Kind.choices)
    justification = models.TextField(_("justification"), blank=True,
                                     validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    target_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("to agency"))
    legal_basis = models.ForeignKey("referrals.LegalBasis", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("legal basis"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")


class Feedback(models.Model):
    """What child welfare tells a reporter from a public body (they see it on their referral)."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Confirmation of receipt")
        INVESTIGATION_OPENED = "investigation_opened", _("An investigation has been opened")
        NO_INVESTIGATION = "no_investigation", _("No investigation will be opened")
        INVESTIGATION_CLOSED = "investigation_closed", _("The investigation has ended")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="feedback",
                                 verbose_name=_("referral"))
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    message = models.TextField(_("message"), blank=True, validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("sent by"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("feedback to the reporter")
        verbose_name_plural = _("feedback to the reporter")


class Assignment(models.Model):
    """Who is the referral's caseworker, and since when. The open row matches the
    django-guardian object permission the service grants."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="assignments",
                                 verbose_name=_("referral"))
    caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("caseworker"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("assigned by"))
    assigned_at = models.DateTimeField(_("assigned"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        constraints = [
            models.UniqueConstraint(fields=["referral"], condition=models.Q(ended_at__isnull=True),
                                    name="assignment_one_open"),
        ]


class Case(models.Model):
    """Referrals about one child, joined by a coordinator of a child welfare service."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="cases",
                               verbose_name=_("agency"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return f"case #{self.pk}"


class Note(models.Model):
    """An internal note: visible to the writing agency only, unless disclosed."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="notes",
                                 verbose_name=_("referral"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    text = models.TextField(_("note"), validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
