"""What a reporter sends (the input shape shared by the API, the form and the services),
and the checks it must pass: the shape for drafts, completeness for submission. Field
errors are collected, so a reporter sees every problem at once."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, Municipality

from .. import identity, routing
from ..links import normalize_identifier
from ..models import Category, Consent, DutyTrigger, Identifier, Indicator, PersonOfConcern, Platform
from ..models.consent import TEXT_MAX_LENGTH
from .consent import age_rule_error

MAX_GUARDIANS = 2
MAX_PEOPLE = 10
MAX_IDENTIFIERS = 30
MATCH_CANDIDATES_PER_BIRTH_DATE = 500


@dataclass(frozen=True)
class ChildData:
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    national_id: str = ""
    age_uncertain: bool = False
    estimated_age: int | None = None
    nationality: str = ""
    language: str = ""
    interpreter_needed: bool = False
    unaccompanied_minor: bool = False
    safe_contact: str = ""
    school: Agency | None = None
    school_class: str = ""
    municipality: Municipality | None = None


@dataclass(frozen=True)
class GuardianData:
    name: str
    informed: bool
    contact: str = ""
    not_informed_reason: str = ""


@dataclass(frozen=True)
class PersonData:
    role: str
    name: str = ""
    description: str = ""


@dataclass(frozen=True)
class IdentifierData:
    kind: str
    value: str
    platform: str = ""


@dataclass(frozen=True)
class ConsentData:
    """A consent the reporter obtained before filing: it lets the routings that rest on
    consent carry the child's identity (without it they go as consultations without it)."""

    given_by: str
    form: str
    child_view: str
    child_view_note: str = ""

    def as_json(self) -> dict:
        return {"given_by": self.given_by, "form": self.form, "child_view": self.child_view,
                "child_view_note": self.child_view_note.strip()}


@dataclass(frozen=True)
class ReferralData:
    """Everything a reporter records. The same shape for a draft and a submission."""

    child: ChildData = field(default_factory=ChildData)
    categories: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()
    duty_triggers: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    concern: str = ""
    observed_on: date | None = None
    observed_where: str = ""
    emergency_called: bool = False
    emergency_called_at: datetime | None = None
    guardians: tuple[GuardianData, ...] = ()
    people: tuple[PersonData, ...] = ()
    identifiers: tuple[IdentifierData, ...] = ()
    consent: ConsentData | None = None


class Errors:
    """Collects field messages, so that a reporter sees every problem at once."""

    def __init__(self):
        self.by_field: dict[str, list[str]] = {}

    def add(self, field_name: str, message: str) -> None:
        self.by_field.setdefault(field_name, []).append(str(message))

    def merge(self, exc: ValidationError, prefix: str = "") -> None:
        for name, messages in exc.message_dict.items():
            for message in messages:
                self.add(f"{prefix}{name}" if name != "__all__" else (prefix.rstrip(".") or "__all__"), message)

    def raise_if_any(self) -> None:
        if self.by_field:
            raise ValidationError(self.by_field)


def validate_shape(data: ReferralData, errors: Errors) -> tuple[list[Category], list[Indicator]]:
    """Checks that hold for drafts as well as submissions."""
    today = timezone.localdate()
    categories = list(Category.objects.filter(code__in=set(data.categories)))
    if len(categories) != len(set(data.categories)):
        errors.add("categories", _("Unknown category."))
    indicators = list(Indicator.objects.filter(code__in=set(data.indicators), is_active=True)
                      .select_related("category"))
    if len(indicators) != len(set(data.indicators)):
        errors.add("indicators", _("Unknown indicator."))
    if not set(data.duty_triggers) <= set(DutyTrigger.values):
        errors.add("duty_triggers", _("Unknown duty-to-report trigger."))
    if not set(data.platforms) <= set(Platform.values):
        errors.add("platforms", _("Unknown platform."))
    if data.observed_on and data.observed_on > today:
        errors.add("observed_on", _("The date cannot be in the future."))
    if data.emergency_called_at and data.emergency_called_at > timezone.now() + timedelta(minutes=5):
        errors.add("emergency_called_at", _("The time of the call cannot be in the future."))
    if len(data.guardians) > MAX_GUARDIANS:
        errors.add("guardians", _("Give at most two guardians."))
    for index, guardian in enumerate(data.guardians):
        if not guardian.name.strip():
            errors.add(f"guardians.{index}.name", _("Give the guardian's name."))
        if not guardian.informed and not guardian.not_informed_reason.strip():
            errors.add(f"guardians.{index}.not_informed_reason",
                       _("Say why the guardian has not been told."))
    if len(data.people) > MAX_PEOPLE:
        errors.add("people", _("Give at most %(count)d people of concern.") % {"count": MAX_PEOPLE})
    for index, person in enumerate(data.people):
        if person.role not in PersonOfConcern.Role.values:
            errors.add(f"people.{index}.role", _("Unknown role."))
        if not (person.name.strip() or person.description.strip()):
            errors.add(f"people.{index}.name", _("Give a name, an alias or a description."))
    if len(data.identifiers) > MAX_IDENTIFIERS:
        errors.add("identifiers", _("Give at most %(count)d identifiers.") % {"count": MAX_IDENTIFIERS})
    for index, ident in enumerate(data.identifiers):
        if ident.kind not in Identifier.Kind.values:
            errors.add(f"identifiers.{index}.kind", _("Unknown kind of identifier."))
        if ident.platform and ident.platform not in Platform.values:
            errors.add(f"identifiers.{index}.platform", _("Unknown platform."))
        if not normalize_identifier(ident.kind, ident.value):
            errors.add(f"identifiers.{index}.value", _("Give the identifier."))
    school = data.child.school
    if school is not None and school.kind != Agency.Kind.SCHOOL:
        errors.add("child.school", _("Choose a school."))
    return categories, indicators


def validate_consent(data: ReferralData, dob: date | None, errors: Errors) -> None:
    """The consent given on the form: who gave it (the age rule: from 15 the child, under 15
    a guardian named on the form), written or oral, and the child's own view."""
    consent = data.consent
    if consent is None:
        return
    if consent.given_by not in Consent.Giver.values:
        errors.add("consent.given_by", _("Choose who gives the consent."))
    else:
        problem = age_rule_error(routing.age_on(timezone.localdate(), dob, data.child.estimated_age),
                                 consent.given_by)
        if problem:
            errors.add("consent.given_by", problem)
        elif consent.given_by != Consent.Giver.CHILD and int(consent.given_by[-1]) > len(data.guardians):
            errors.add("consent.given_by", _("Name that guardian under «Parents or guardians»."))
    if consent.form not in Consent.Form.values:
        errors.add("consent.form", _("Choose whether the consent was given in writing or orally."))
    if consent.child_view not in Consent.View.values:
        errors.add("consent.child_view", _("Record the child's own view: the child has a right to be heard."))
    elif consent.given_by == Consent.Giver.CHILD and consent.child_view != Consent.View.AGREES:
        errors.add("consent.child_view", _("The child gives this consent, so the child's view is that they agree."))
    if len(consent.child_view_note) > TEXT_MAX_LENGTH:
        errors.add("consent.child_view_note", _("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH})


def child_birth_date(data: ChildData, errors: Errors) -> tuple[date | None, str]:
    """The date of birth (from the number when not given) and the normalised number."""
    number = ""
    dob = data.date_of_birth
    if data.national_id.strip():
        try:
            number = identity.validate_national_id(data.national_id)
        except ValidationError as exc:
            for message in exc.messages:
                errors.add("child.national_id", message)
        else:
            from_number = identity.birth_date_from_national_id(number)
            if dob is None:
                dob = from_number
            elif dob != from_number:
                errors.add("child.date_of_birth",
                           _("The date of birth does not match the national identity number."))
    if dob is not None:
        today = timezone.localdate()
        if dob > today:
            errors.add("child.date_of_birth", _("The date of birth cannot be in the future."))
        elif routing.age_on(today, dob, None) >= 18 and not data.age_uncertain:
            errors.add("child.date_of_birth", _(
                "The date of birth makes the child 18 or older. If the age is uncertain, "
                "tick «age uncertain» and give an estimated age."))
    return dob, number


def validate_complete(data: ReferralData, dob: date | None, municipality, errors: Errors) -> None:
    """What a submission needs beyond a draft. A missing identity never blocks filing."""
    if not data.categories and not data.indicators:
        errors.add("categories", _("Choose at least one category."))
    if not data.concern.strip():
        errors.add("concern", _("Describe what you have observed."))
    if dob is None and data.child.estimated_age is None:
        errors.add("child.estimated_age", _(
            "Give the date of birth, the national identity number or an estimated age."))
    if data.child.age_uncertain and data.child.estimated_age is None:
        errors.add("child.estimated_age", _("Give an estimated age when the age is uncertain."))
    if municipality is None:
        errors.add("child.municipality", _("Choose the child's municipality."))


