"""Routing rules are data that an agency admin or a superuser edits; a routing records
which agency received a referral, on which legal basis, and which rules sent it there."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .taxonomy import Category, DutyTrigger, Indicator, LegalBasis, Urgency


class RoutingRule(models.Model):
    """When every condition that is set holds, route to the agency of `target_kind` that
    serves the child. Within one condition, any listed value is enough."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    reason_nb = models.CharField(_("why, in words (bokmål)"), max_length=300)
    reason_en = models.CharField(_("why, in words (English)"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveSmallIntegerField(_("order"), default=100)
    categories = models.ManyToManyField(Category, blank=True, related_name="+",
                                        verbose_name=_("any of these categories"))
    indicators = models.ManyToManyField(Indicator, blank=True, related_name="+",
                                        verbose_name=_("any of these indicators"))
    any_duty_trigger = models.BooleanField(
        _("a § 13-2 trigger is ticked"), null=True, blank=True,
        help_text=_("Yes: at least one trigger; No: none; empty: does not matter."),
    )
    duty_triggers = models.JSONField(_("any of these § 13-2 triggers"), default=list, blank=True,
                                     help_text=", ".join(DutyTrigger.values))
    urgencies = models.JSONField(_("any of these urgencies"), default=list, blank=True,
                                 help_text=", ".join(Urgency.values))
    child_younger_than = models.PositiveSmallIntegerField(_("child younger than (years)"), null=True,
                                                          blank=True)
    migration_linked = models.BooleanField(_("migration-linked"), null=True, blank=True,
                                           help_text=_("Category E or an unaccompanied minor."))
    target_kind = models.CharField(_("route to"), max_length=32)
    legal_basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("legal basis"))
    acknowledge_within = models.DurationField(_("acknowledge within"), null=True, blank=True)
    clock_nb = models.CharField(_("clock (bokmål)"), max_length=200, blank=True)
    clock_en = models.CharField(_("clock (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["priority", "name"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.legal_basis_id and self.target_kind and not self.legal_basis.usable_for(self.target_kind):
            raise ValidationError({"legal_basis": _("This legal basis cannot be used to disclose to this kind of "
                                                    "agency (see the legal basis's agency kinds).")})

    @property
    def reason(self) -> str:
        return self.reason_en if (get_language() or "nb").startswith("en") else self.reason_nb

    @property
    def clock(self) -> str:
        return self.clock_en if (get_language() or "nb").startswith("en") else self.clock_nb


class Routing(models.Model):
    """One agency a referral was routed to, and why."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="routings",
                                 verbose_name=_("referral"))
    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="routings",
                               verbose_name=_("agency"))
    rules = models.ManyToManyField(RoutingRule, blank=True, related_name="routings",
                                   verbose_name=_("rules that sent it"))
    legal_basis = models.ForeignKey(LegalBasis, on_delete=models.PROTECT, related_name="routings",
                                    verbose_name=_("legal basis"))
    is_fallback = models.BooleanField(
        _("no rule matched"), default=False,
        help_text=_("No rule matched, so the child welfare service of the municipality reviews it."),
    )
    unresolved_kinds = models.JSONField(
        _("agency kinds not found"), default=list, blank=True,
        help_text=_("Rules named these kinds of agency, but none serves the child's municipality: "
                    "child welfare must forward the referral."),
    )
    # A routing on a basis that needs consent, made without one, is a consultation without
    # identity (forvaltningsloven § 13 a nr. 2): the agency sees the concern but not who the
    # child is, until a consent covering it is recorded (`consent`).
    identity_withheld = models.BooleanField(
        _("identity withheld"), default=False,
        help_text=_("Sent as a consultation without the child's identity until a consent covers this agency."))
    consent = models.ForeignKey("referrals.Consent", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="routings", verbose_name=_("consent the identity was shared on"))
    acknowledge_by = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("acknowledged by"))
    escalation_level = models.PositiveSmallIntegerField(_("escalation steps taken"), default=0)
    next_escalation_at = models.DateTimeField(_("next escalation"), null=True, blank=True)
    created_at = models.DateTimeField(_("routed"), auto_now_add=True)
    # The agency's queue reads these copies, kept by the services, so that a page deep in a
    # queue of a million rows is one index range scan (keyset over urgency, due, id).
    is_open = models.BooleanField(_("in the queue"), default=True)
    urgency = models.CharField(_("urgency"), max_length=2, default="P1")
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    # Copies of the referral's status and caseworker, so that the queue's counts and
    # filters read the routing rows alone, with no join to the referrals.
    status = models.CharField(_("status"), max_length=16, default="submitted")
    caseworker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("caseworker"))
    rerouted_at = models.DateTimeField(
        _("re-routed away"), null=True, blank=True,
        help_text=_("The referral went to the right municipality's child welfare service; this agency no "
                    "longer decides on it."))

    class Meta:
        verbose_name = _("routing")
        verbose_name_plural = _("routings")
        constraints = [
            models.UniqueConstraint(fields=["referral", "agency"], name="routing_one_per_agency"),
        ]
        indexes = [
            models.Index(fields=["agency", "created_at"]),
            models.Index(fields=["agency", "is_open", "urgency", "due_at", "id"], name="routing_queue"),
            models.Index(fields=["next_escalation_at"], condition=models.Q(acknowledged_at__isnull=True),
                         name="routing_escalation_due"),
        ]

    def __str__(self) -> str:
        return f"{self.referral} → {self.agency}"
