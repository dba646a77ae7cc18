"""Who works where: municipalities, police districts, agencies, users and their roles."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. What they may do comes from their memberships."""

    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="nb",
        help_text=_("Language of e-mails sent to this user."),
    )
    sessions_revoked_at = models.DateTimeField(
        _("sessions ended at"), null=True, blank=True,
        help_text=_("Sessions started before this time are no longer valid."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class PoliceDistrict(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("police district")
        verbose_name_plural = _("police districts")

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    number = models.CharField(
        _("municipality number"), max_length=4, unique=True,
        validators=[RegexValidator(r"^\d{4}$", _("A municipality number has four digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    police_district = models.ForeignKey(
        PoliceDistrict, on_delete=models.PROTECT, null=True, blank=True,
        related_name="municipalities", verbose_name=_("police district"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"


class Agency(models.Model):
    class Kind(models.TextChoices):
        SCHOOL = "school", _("School")
        CHILD_WELFARE = "child_welfare", _("Child welfare service")
        CHILD_WELFARE_EMERGENCY = "child_welfare_emergency", _("Child welfare emergency unit")
        POLICE = "police", _("Police")
        IMMIGRATION = "immigration", _("Immigration")
        HEALTH = "health", _("Health service")
        SLT = "slt", _("SLT coordinator")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True,
        related_name="agencies", verbose_name=_("municipality"),
    )
    police_district = models.ForeignKey(
        PoliceDistrict, on_delete=models.PROTECT, null=True, blank=True,
        related_name="agencies", verbose_name=_("police district"),
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    require_two_factor_for_reporters = models.BooleanField(
        _("reporters sign in with two factors"), default=False,
        help_text=_("Every other role always signs in with a one-time code; this asks it of reporters too."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(municipality__isnull=False) | models.Q(police_district__isnull=False),
                name="agency_has_municipality_or_police_district",
            ),
        ]
        indexes = [models.Index(fields=["kind", "municipality"])]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role in one agency. A user may be a member of several agencies."""

    class Role(models.TextChoices):
        REPORTER = "reporter", _("Reporter")
        COORDINATOR = "coordinator", _("Coordinator")
        CASEWORKER = "caseworker", _("Caseworker")
        LIAISON = "liaison", _("Liaison")
        AUDITOR = "auditor", _("Auditor")
        AGENCY_ADMIN = "agency_admin", _("Agency administrator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
        verbose_name=_("user"),
    )
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("agency")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique_role"),
        ]
        indexes = [models.Index(fields=["agency", "role", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.agency} · {self.get_role_display()}"
