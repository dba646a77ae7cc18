"""The child a concern is about. Each referral records the child as the reporter knew
them; matching suggests when two records may be the same child (coordinators decide)."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Child(models.Model):
    """Identity may be incomplete: that never blocks filing. A person of uncertain age is
    treated as a child until the age is established."""

    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    age_uncertain = models.BooleanField(_("age uncertain"), default=False)
    estimated_age = models.PositiveSmallIntegerField(
        _("estimated age"), null=True, blank=True, validators=[MaxValueValidator(17)],
    )
    # The national identity number is stored encrypted, and found only through a keyed hash.
    national_id_encrypted = models.TextField(_("national identity number (encrypted)"), blank=True,
                                             editable=False)
    national_id_digest = models.CharField(_("national identity number (keyed hash)"), max_length=64,
                                          blank=True, db_index=True, editable=False)
    nationality = models.CharField(_("nationality"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=64, blank=True)
    interpreter_needed = models.BooleanField(_("needs an interpreter"), default=False)
    unaccompanied_minor = models.BooleanField(_("unaccompanied minor"), default=False)
    safe_contact = models.CharField(
        _("safe way to contact the child"), max_length=200, blank=True,
        help_text=_("For a child whose phone may be controlled by others."),
    )
    school = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        limit_choices_to={"kind": "school"}, verbose_name=_("school"),
    )
    school_class = models.CharField(_("class"), max_length=32, blank=True)
    municipality = models.ForeignKey(
        "agencies.Municipality", on_delete=models.PROTECT, related_name="children",
        verbose_name=_("municipality"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        indexes = [models.Index(fields=["date_of_birth"], name="child_dob")]

    def __str__(self) -> str:
        # Deliberately not the name: str() of a model ends up in logs and admin messages.
        return f"child #{self.pk}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    @property
    def has_national_id(self) -> bool:
        return bool(self.national_id_digest)


class ChildMatch(models.Model):
    """A suggestion that a referral's child may be a child already known. Shown to the
    coordinators of agencies that received the referral; never to reporters."""

    class Method(models.TextChoices):
        NATIONAL_ID = "national_id", _("Same national identity number")
        NAME_AND_BIRTH_DATE = "name_dob", _("Similar name and same date of birth")

    class Status(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="child_matches",
                                 verbose_name=_("referral"))
    candidate = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("possibly the same child as"))
    method = models.CharField(_("how it was found"), max_length=16, choices=Method.choices)
    score = models.FloatField(_("similarity"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SUGGESTED)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-score", "pk"]
        verbose_name = _("possible match")
        verbose_name_plural = _("possible matches")
        constraints = [
            models.UniqueConstraint(fields=["referral", "candidate"], name="child_match_once"),
        ]
