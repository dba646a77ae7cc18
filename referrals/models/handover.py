"""Handovers between agencies: one agency hands (part of) a referral to another, on a
legal basis, with a scope of what is disclosed; the receiving agency acknowledges it on the
record, then accepts or declines it. Nothing may fall silently between two agencies: a
handover not acknowledged by its deadline escalates until it is answered."""

import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .referral import _REFERENCE_ALPHABET
from .taxonomy import LegalBasis, Urgency

TEXT_MAX_LENGTH = 5_000


def new_handover_reference() -> str:
    """Opaque, like a referral's: safe in e-mails and URLs."""
    return "HO-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


class Handover(models.Model):
    class Type(models.TextChoices):
        POLICE_REPORT = "police_report", _("Police report (anmeldelse)")
        AVERT_CRIME = "avert_crime", _("Notice to avert a crime (straffeloven § 196)")
        CONCERN_CONVERSATION = "concern_conversation", _(
            "Referral for a concern conversation (bekymringssamtale)")
        IMMIGRATION = "immigration", _("Referral to immigration (UDI or the police immigration unit)")
        BARNEHUS = "barnehus", _("Referral to Statens barnehus through the police")
        SLT = "slt", _("Referral to the SLT coordinator")
        MUNICIPALITY_TRANSFER = "municipality_transfer", _(
            "Transfer to another municipality's child welfare service (the child moved)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        REVOKED = "revoked", _("Revoked by the sender")

    class Scope(models.TextChoices):
        IDENTITY = "identity", _("The child's identity")
        CATEGORIES = "categories_and_indicators", _("Categories and indicators")
        NARRATIVE = "narrative", _("What was observed (narrative and addenda)")
        IDENTIFIERS = "identifiers", _("Identifiers (usernames, channels, numbers) and people of concern")
        ATTACHMENTS = "attachments", _("Attachments")
        NOTES = "notes", _("The sending agency's internal notes")

    # Which kinds of agency may receive each type.
    RECEIVER_KINDS = {
        Type.POLICE_REPORT: ("police",),
        Type.AVERT_CRIME: ("police",),
        Type.CONCERN_CONVERSATION: ("police",),
        Type.IMMIGRATION: ("immigration", "police"),
        Type.BARNEHUS: ("police",),
        Type.SLT: ("slt",),
        Type.MUNICIPALITY_TRANSFER: ("child_welfare",),
    }
    OPEN_STATUSES = (Status.PENDING, Status.ACKNOWLEDGED)

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_handover_reference,
                                 editable=False)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="handovers",
                                 verbose_name=_("referral"))
    type = models.CharField(_("type"), max_length=32, choices=Type.choices)
    sending_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="sent_handovers",
                                       verbose_name=_("sending agency"))
    receiving_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT,
                                         related_name="received_handovers", verbose_name=_("receiving agency"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("sent by"))
    legal_basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="handovers",
                                    verbose_name=_("legal basis"))
    scope = models.JSONField(_("what is disclosed"), default=list)
    # A handover on the consent basis names the consent it relies on (or was overridden).
    consent = models.ForeignKey("referrals.Consent", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="handovers", verbose_name=_("consent relied on"))
    # The consent it relied on was withdrawn or expired: the receiving agency no longer sees it.
    access_ended_at = models.DateTimeField(_("access ended"), null=True, blank=True)
    urgency = models.CharField(_("urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P2)
    message = models.TextField(_("message to the receiver"), blank=True,
                               validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, editable=False)
    acknowledge_by = models.DateTimeField(_("acknowledge by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("acknowledged by"))
    external_reference = models.CharField(_("external reference"), max_length=64, blank=True,
                                          help_text=_("The receiver's own reference, e.g. the police case number."))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("answered by"))
    decline_reason = models.TextField(_("reason for declining"), blank=True,
                                      validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("revoked by"))
    revoke_reason = models.TextField(_("reason for revoking"), blank=True,
                                     validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    # Escalation: how many steps were taken, and when the next one is due (while pending).
    escalation_level = models.PositiveSmallIntegerField(_("escalation steps taken"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        indexes = [
            models.Index(fields=["receiving_agency", "status", "acknowledge_by"], name="handover_inbox"),
            models.Index(fields=["sending_agency", "-created_at"], name="handover_sent"),
            models.Index(fields=["next_escalation_at"], condition=models.Q(status="pending"),
                         name="handover_escalation_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status__in=["acknowledged", "accepted", "declined"])
                | ~models.Q(external_reference=""),
                name="handover_acknowledged_has_reference"),
            models.CheckConstraint(condition=~models.Q(status="declined") | ~models.Q(decline_reason=""),
                                   name="handover_declined_has_reason"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def scope_labels(self) -> list[str]:
        labels = dict(self.Scope.choices)
        return [str(labels[p]) for p in self.Scope.values if p in self.scope]


class HandoverMessage(models.Model):
    """A message on a handover: the receiver asks for more information, the sender answers."""

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, related_name="messages",
                                 verbose_name=_("handover"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("author"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency"))
    text = models.TextField(_("message"), validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    created_at = models.DateTimeField(_("written"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("handover message")
        verbose_name_plural = _("handover messages")


class Escalation(models.Model):
    """One escalation step of a handover or a routing nobody acknowledged in time. The
    unique constraints make each step happen once, however many sweeps run at once."""

    class Audience(models.TextChoices):
        RECEIVERS = "receivers", _("The receiving agency's liaisons and coordinators")
        ADMINS = "admins", _("The receiving agency's administrators")

    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="escalations", verbose_name=_("handover"))
    routing = models.ForeignKey("referrals.Routing", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="escalations", verbose_name=_("routing"))
    step = models.PositiveSmallIntegerField(_("step"))
    audience = models.CharField(_("told"), max_length=16, choices=Audience.choices)
    recipients = models.JSONField(_("recipients"), default=list)
    created_at = models.DateTimeField(_("escalated"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [
            models.UniqueConstraint(fields=["handover", "step"], condition=models.Q(handover__isnull=False),
                                    name="escalation_handover_step_once"),
            models.UniqueConstraint(fields=["routing", "step"], condition=models.Q(routing__isnull=False),
                                    name="escalation_routing_step_once"),
            models.CheckConstraint(condition=models.Q(handover__isnull=True) ^ models.Q(routing__isnull=True),
                                   name="escalation_of_one_thing"),
        ]
