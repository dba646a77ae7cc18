"""Consent to share a child's information, and the record of every disclosure.

A consent is given by the child or a guardian for named recipient agencies and purposes,
for a time; it can be withdrawn. A disclosure records one time information left the agency
that holds it (a routing, a handover, an export): to whom, which parts, when, on which
legal basis or consent, approved by whom, and whether a missing consent was overridden."""

import secrets

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..documents import DOCUMENT_NAME_MAX_LENGTH, consent_document_storage
from .handover import Handover
from .referral import _REFERENCE_ALPHABET
from .taxonomy import LegalBasis

TEXT_MAX_LENGTH = 2_000
# From this age the child's own consent is the one asked for (the child is a party).
CHILD_CONSENTS_FROM_AGE = 15


def new_consent_reference() -> str:
    return "CN-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


class Consent(models.Model):
    class Giver(models.TextChoices):
        CHILD = "child", _("The child")
        GUARDIAN_1 = "guardian_1", _("Guardian 1")
        GUARDIAN_2 = "guardian_2", _("Guardian 2")

    class View(models.TextChoices):
        AGREES = "agrees", _("Agrees")
        DISAGREES = "disagrees", _("Disagrees")
        NOT_ASKED = "not_asked", _("Not asked")

    class Form(models.TextChoices):
        WRITTEN = "written", _("Written")
        ORAL = "oral", _("Oral")

    # The purposes a consent covers: that the agencies a concern is routed to receive it
    # with the child's identity and follow it up, or a kind of handover (what the receiver
    # does with it).
    Purpose = models.TextChoices("Purpose", [
        ("ROUTING", ("routing", _("Receive and follow up the concern, with the child's identity"))),
        *((member.name, (member.value, member.label)) for member in Handover.Type),
    ])

    reference = models.CharField(_("reference"), max_length=16, unique=True, default=new_consent_reference,
                                 editable=False)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="consents",
                                 verbose_name=_("referral"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("recorded by agency"))
    given_by = models.CharField(_("given by"), max_length=16, choices=Giver.choices)
    child_age = models.PositiveSmallIntegerField(_("the child's age when recorded"), null=True, blank=True)
    child_view = models.CharField(_("the child's own view"), max_length=16, choices=View.choices)
    child_view_note = models.TextField(_("what the child said"), blank=True,
                                       validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    guardians_view = models.CharField(_("the guardians' view"), max_length=16, choices=View.choices,
                                      default=View.NOT_ASKED)
    recipients = models.ManyToManyField("agencies.Agency", related_name="consents_received",
                                        verbose_name=_("recipient agencies"))
    purposes = models.JSONField(_("purposes"), default=list)
    form = models.CharField(_("form"), max_length=16, choices=Form.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.CharField(_("withdrawn by"), max_length=16, choices=Giver.choices, blank=True)
    withdrawal_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                               blank=True, related_name="+",
                                               verbose_name=_("withdrawal recorded by"))
    withdrawal_note = models.TextField(_("about the withdrawal"), blank=True,
                                       validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    # A scan or photo of a written consent (optional), kept in private storage and served
    # only through an access-checked, audited view.
    document = models.FileField(_("document"), upload_to="consents/%Y/%m/", storage=consent_document_storage,
                                blank=True, max_length=200)
    document_name = models.CharField(_("document file name"), max_length=DOCUMENT_NAME_MAX_LENGTH, blank=True)
    document_type = models.CharField(_("document type"), max_length=40, blank=True)
    document_sha256 = models.CharField(_("document checksum (SHA-256)"), max_length=64, blank=True)
    # When the access that rested on this consent was ended (withdrawal or expiry).
    ended_at = models.DateTimeField(_("access ended"), null=True, blank=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [
            models.Index(fields=["valid_until"], condition=models.Q(ended_at__isnull=True),
                         name="consent_expiry_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(valid_until__isnull=True)
                                   | models.Q(valid_until__gt=models.F("valid_from")),
                                   name="consent_until_after_from"),
            models.CheckConstraint(condition=models.Q(withdrawn_at__isnull=True) | ~models.Q(withdrawn_by=""),
                                   name="consent_withdrawal_names_who"),
        ]

    def __str__(self) -> str:
        return self.reference

    def is_valid_at(self, when) -> bool:
        return (self.withdrawn_at is None and self.ended_at is None and self.valid_from <= when
                and (self.valid_until is None or when < self.valid_until))

    @property
    def is_valid(self) -> bool:
        return self.is_valid_at(timezone.now())

    @property
    def state(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        now = timezone.now()
        if self.ended_at is not None or (self.valid_until is not None and self.valid_until <= now):
            return "expired"
        if self.valid_from > now:
            return "not_yet_valid"
        return "valid"

    def state_display(self) -> str:
        return str({"withdrawn": _("Withdrawn"), "expired": _("Expired"), "not_yet_valid": _("Not yet valid"),
                    "valid": _("Valid")}[self.state])

    @property
    def has_document(self) -> bool:
        return bool(self.document)

    @property
    def has_conflict(self) -> bool:
        """The child and the guardians disagree: from 15 the child's consent stands, but the
        conflict must be visible; under 15 the child's objection must be visible too."""
        if self.given_by == self.Giver.CHILD:
            return self.guardians_view == self.View.DISAGREES
        return self.child_view == self.View.DISAGREES

    def purpose_labels(self) -> list[str]:
        labels = dict(self.Purpose.choices)
        return [str(labels[p]) for p in self.purposes if p in labels]


class Disclosure(models.Model):
    class Kind(models.TextChoices):
        ROUTING = "routing", _("Routing")
        HANDOVER = "handover", _("Handover")
        EXPORT = "export", _("Export")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="disclosures",
                                 verbose_name=_("referral"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    sending_agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("from agency"))
    recipient = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="disclosures_received",
                                  verbose_name=_("to agency"))
    scope = models.JSONField(_("what was disclosed"), default=list)
    purpose = models.CharField(_("purpose"), max_length=32, blank=True)
    legal_basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="disclosures",
                                    verbose_name=_("legal basis"))
    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="disclosures", verbose_name=_("consent"))
    override = models.BooleanField(_("missing consent overridden"), default=False)
    override_reason = models.TextField(_("reason for the override"), blank=True,
                                       validators=[MaxLengthValidator(TEXT_MAX_LENGTH)])
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("approved by"))
    routing = models.ForeignKey("referrals.Routing", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="disclosures", verbose_name=_("routing"))
    handover = models.ForeignKey(Handover, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="disclosures", verbose_name=_("handover"))
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        indexes = [models.Index(fields=["referral", "created_at"], name="disclosure_log")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(override=True) | ~models.Q(override_reason=""),
                                   name="disclosure_override_has_reason"),
        ]

    def scope_labels(self) -> list[str]:
        labels = dict(Handover.Scope.choices)
        return [str(labels.get(p, p)) for p in self.scope]
