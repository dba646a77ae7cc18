"""The concern taxonomy (DOMAIN.md section 4) and legal bases: data, loaded by a data
migration and editable in the admin, with bokmål and English texts."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Urgency(models.TextChoices):
    P0 = "P0", _("P0: act now")
    P1 = "P1", _("P1: same day")
    P2 = "P2", _("P2: within days")
    P3 = "P3", _("P3: no deadline")


class DutyTrigger(models.TextChoices):
    """The five grounds of the duty to report to child welfare, barnevernsloven § 13-2."""

    SERIOUS_NEGLECT = "serious_neglect", _("The child is subjected to serious neglect of care")
    UNTREATED_ILLNESS = "untreated_illness", _(
        "The child has a serious illness or injury and is not getting treatment")
    DISABLED_NEEDS_UNMET = "disabled_needs_unmet", _(
        "The child has a disability and its special needs are not met")
    SERIOUS_BEHAVIOUR = "serious_behaviour", _("The child shows serious behavioural problems")
    TRAFFICKING = "trafficking", _("The child is or may be exploited in human trafficking")


class Platform(models.TextChoices):
    SNAPCHAT = "snapchat", "Snapchat"
    INSTAGRAM = "instagram", "Instagram"
    TELEGRAM = "telegram", "Telegram"
    SIGNAL = "signal", "Signal"
    DISCORD = "discord", "Discord"
    OTHER = "other", _("Other")


class _Bilingual(models.Model):
    """A row with a bokmål and an English text; `text` picks the active language."""

    class Meta:
        abstract = True

    def _pick(self, nb: str, en: str) -> str:
        return en if (get_language() or "nb").startswith("en") and en else nb


class Category(_Bilingual):
    code = models.CharField(_("code"), max_length=1, unique=True)
    name_nb = models.CharField(_("name (bokmål)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    urgency = models.CharField(_("urgency"), max_length=2, choices=Urgency.choices, default=Urgency.P1)
    agencies_hint_nb = models.CharField(_("who acts (bokmål)"), max_length=200, blank=True)
    agencies_hint_en = models.CharField(_("who acts (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("concern category")
        verbose_name_plural = _("concern categories")

    def __str__(self) -> str:
        return f"{self.code}. {self.name}"

    @property
    def name(self) -> str:
        return self._pick(self.name_nb, self.name_en)

    @property
    def agencies_hint(self) -> str:
        return self._pick(self.agencies_hint_nb, self.agencies_hint_en)


class Indicator(_Bilingual):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="indicators",
                                 verbose_name=_("category"))
    text_nb = models.CharField(_("text (bokmål)"), max_length=300)
    text_en = models.CharField(_("text (English)"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category__code", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return self._pick(self.text_nb, self.text_en)


# The basis a routing rests on when the consent it needs was not given: the concern is shared
# with what could identify the child left out (a consultation without identity).
CONSULTATION_BASIS = "fvl-13a-2"


class LegalBasis(_Bilingual):
    """A legal basis for receiving or sharing information. Configuration data: the law on
    sharing between agencies is being revised."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    law_reference = models.CharField(_("law reference"), max_length=120)
    description_nb = models.CharField(_("description (bokmål)"), max_length=300)
    description_en = models.CharField(_("description (English)"), max_length=300)
    allows_without_consent = models.BooleanField(_("allows sharing without consent"), default=True)
    agency_kinds = models.JSONField(
        _("agency kinds that may receive on it"), default=list, blank=True,
        help_text=_("Kinds of receiving agency a disclosure on this basis may go to; empty: any kind."))

    class Meta:
        ordering = ["code"]
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")

    def __str__(self) -> str:
        return self.law_reference

    @property
    def description(self) -> str:
        return self._pick(self.description_nb, self.description_en)

    def clean(self):
        from django.core.exceptions import ValidationError

        from agencies.models import Agency

        kinds = self.agency_kinds if isinstance(self.agency_kinds, list) else None
        if kinds is None or any(kind not in Agency.Kind.values for kind in kinds):
            raise ValidationError({"agency_kinds": _("A list of agency kinds: %(kinds)s.")
                                   % {"kinds": ", ".join(Agency.Kind.values)}})

    def usable_for(self, agency_kind: str) -> bool:
        return not self.agency_kinds or agency_kind in self.agency_kinds
