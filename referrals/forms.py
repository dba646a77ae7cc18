"""The concern form. Field shape only: the rules live in services (referrals/services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from agencies import roles
from agencies.models import Agency, Municipality

from . import services
from .models import (
    CONCERN_MAX_LENGTH,
    Category,
    Consent,
    DutyTrigger,
    Identifier,
    Indicator,
    PersonOfConcern,
    Platform,
)
from .models.consent import TEXT_MAX_LENGTH

CHILD_FIELDS = ["given_name", "family_name", "date_of_birth", "national_id", "age_uncertain", "estimated_age",
                "nationality", "language", "interpreter_needed", "unaccompanied_minor", "safe_contact",
                "school", "school_class", "municipality"]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReferralForm(forms.Form):
    reporting_agency = forms.ModelChoiceField(label=_("I report for"), queryset=Agency.objects.none(),
                                              empty_label=None)
    emergency_called = forms.BooleanField(label=_("I have called 112 or the child welfare emergency unit"),
                                          required=False)
    emergency_called_at = forms.DateTimeField(
        label=_("When did you call?"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("Leave empty to use the time you send this."),
    )
    # The child
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DATE)
    national_id = forms.CharField(
        label=_("National identity number (fødselsnummer or D-number)"), max_length=20, required=False,
        help_text=_("11 digits. Leave empty if you do not know it: that never stops a report."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    age_uncertain = forms.BooleanField(label=_("Age uncertain"), required=False,
                                       help_text=_("Someone whose age is uncertain is treated as a child."))
    estimated_age = forms.IntegerField(label=_("Estimated age"), required=False, min_value=0, max_value=17)
    nationality = forms.CharField(label=_("Nationality"), max_length=64, required=False)
    language = forms.CharField(label=_("Language"), max_length=64, required=False)
    interpreter_needed = forms.BooleanField(label=_("Needs an interpreter"), required=False)
    unaccompanied_minor = forms.BooleanField(label=_("Unaccompanied minor"), required=False)
    safe_contact = forms.CharField(
        label=_("Safe way to contact the child"), max_length=200, required=False,
        help_text=_("If the child's phone may be controlled by others, how can we reach them safely?"),
    )
    school = forms.ModelChoiceField(label=_("School"), queryset=Agency.objects.none(), required=False,
                                    empty_label=_("Not known"))
    school_class = forms.CharField(label=_("Class"), max_length=32, required=False)
    municipality = forms.ModelChoiceField(label=_("The child's municipality"),
                                          queryset=Municipality.objects.all(), required=False,
                                          empty_label=_("Same as the school or my agency"))
    # The concern
    categories = forms.MultipleChoiceField(label=_("What is the concern about?"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    indicators = forms.MultipleChoiceField(label=_("What have you noticed?"), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    duty_triggers = forms.MultipleChoiceField(
        label=_("Duty to report (barnevernsloven § 13-2)"), required=False, choices=DutyTrigger.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("If any of these applies, you must report: no consent is needed and confidentiality "
                    "does not apply."),
    )
    platforms = forms.MultipleChoiceField(label=_("Platforms involved"), required=False,
                                          choices=Platform.choices, widget=forms.CheckboxSelectMultiple)
    concern = forms.CharField(
        label=_("What have you observed?"), max_length=CONCERN_MAX_LENGTH, required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Describe what you saw or heard. Facts, not conclusions."),
    )
    observed_on = forms.DateField(label=_("When"), required=False, widget=DATE)
    observed_where = forms.CharField(label=_("Where"), max_length=200, required=False)
    # Consent (needed only below the duty to report)
    consent_given_by = forms.ChoiceField(
        label=_("Has anyone consented to sharing this concern?"), required=False,
        choices=[("", _("No consent")), *Consent.Giver.choices], widget=forms.RadioSelect,
        help_text=_("Needed only when the duty to report does not apply. Without consent, the agencies the "
                    "concern goes to on consent receive it without the child's identity (a consultation). From "
                    "15 the child's own consent is the one asked for; under 15 a guardian's."))
    consent_form = forms.ChoiceField(label=_("Given"), required=False, choices=Consent.Form.choices,
                                     widget=forms.RadioSelect)
    consent_child_view = forms.ChoiceField(label=_("The child's own view"), required=False,
                                           choices=Consent.View.choices, widget=forms.RadioSelect,
                                           help_text=_("The child has a right to be heard."))
    consent_child_view_note = forms.CharField(label=_("What the child said"), required=False,
                                              max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        agency_ids = list(roles.memberships_for(user, roles.FILE_REFERRAL).values_list("agency_id", flat=True))
        agencies = Agency.objects.filter(pk__in=agency_ids)
        self.fields["reporting_agency"].queryset = agencies
        municipalities = agencies.values_list("municipality", flat=True)
        self.fields["school"].queryset = Agency.objects.filter(
            kind=Agency.Kind.SCHOOL, is_active=True, municipality__in=municipalities)
        self.categories = list(Category.objects.order_by("code"))
        self.indicator_rows = list(Indicator.objects.filter(is_active=True).select_related("category"))
        self.fields["categories"].choices = [(c.code, f"{c.code}. {c.name}") for c in self.categories]
        self.fields["indicators"].choices = [(i.code, i.text) for i in self.indicator_rows]

    def taxonomy_groups(self):
        """Each category's checkbox with its indicators' checkboxes, for the template."""
        category_boxes = {w.data["value"]: w for w in self["categories"]}
        indicator_boxes = {w.data["value"]: w for w in self["indicators"]}
        return [
            {"category": c, "checkbox": category_boxes[c.code],
             "indicators": [indicator_boxes[i.code] for i in self.indicator_rows if i.category_id == c.pk]}
            for c in self.categories
        ]


class GuardianForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    contact = forms.CharField(label=_("Phone or e-mail"), max_length=200, required=False)
    informed = forms.TypedChoiceField(
        label=_("Has the guardian been told about this concern?"), required=False,
        choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect,
        coerce=lambda v: v == "yes", empty_value=None,
    )
    not_informed_reason = forms.CharField(label=_("If not, why not?"), max_length=500, required=False,
                                          help_text=_("For example: telling them could harm the child."))

    def has_content(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("name") or data.get("contact") or data.get("not_informed_reason"))


class PersonForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *PersonOfConcern.Role.choices], required=False)
    name = forms.CharField(label=_("Name or alias"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), max_length=1000, required=False)

    def has_content(self) -> bool:
        return any(self.cleaned_data.get(f) for f in ("role", "name", "description"))


class IdentifierForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *Identifier.Kind.choices], required=False)
    platform = forms.ChoiceField(label=_("Platform"), choices=[("", "—"), *Platform.choices], required=False)
    value = forms.CharField(label=_("Username, number or name"), max_length=200, required=False)

    def has_content(self) -> bool:
        return any(self.cleaned_data.get(f) for f in ("kind", "value"))


GuardianFormSet = forms.formset_factory(GuardianForm, extra=2, max_num=2, absolute_max=2, validate_max=True)
PersonFormSet = forms.formset_factory(PersonForm, extra=2, max_num=10, absolute_max=10, validate_max=True)
IdentifierFormSet = forms.formset_factory(IdentifierForm, extra=3, max_num=30, absolute_max=30,
                                          validate_max=True)


class AddendumForm(forms.Form):
    text = forms.CharField(label=_("Add information"), max_length=CONCERN_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 4}))


class ReporterConsentForm(forms.Form):
    """A consent the reporter obtained after filing, for the agencies that received the
    concern without the child's identity."""

    given_by = forms.ChoiceField(label=_("Who gave the consent"), choices=Consent.Giver.choices,
                                 widget=forms.RadioSelect,
                                 help_text=_("From 15 the child's own consent is the one asked for; under 15 a "
                                             "guardian's."))
    form = forms.ChoiceField(label=_("Given"), choices=Consent.Form.choices, widget=forms.RadioSelect)
    child_view = forms.ChoiceField(label=_("The child's own view"), choices=Consent.View.choices,
                                   widget=forms.RadioSelect, help_text=_("The child has a right to be heard."))
    child_view_note = forms.CharField(label=_("What the child said"), required=False, max_length=TEXT_MAX_LENGTH,
                                      widget=forms.Textarea(attrs={"rows": 2}))


class ReferralFormGroup:
    """The form and its three formsets, bound together; turns them into ReferralData and
    puts a service's field errors back on the right field."""

    def __init__(self, *, user, data=None, initial=None):
        initial = initial or {}
        self.form = ReferralForm(data, user=user, initial=initial.get("form"))
        self.guardians = GuardianFormSet(data, prefix="guardians", initial=initial.get("guardians"))
        self.people = PersonFormSet(data, prefix="people", initial=initial.get("people"))
        self.identifiers = IdentifierFormSet(data, prefix="identifiers", initial=initial.get("identifiers"))
        self.formsets = {"guardians": self.guardians, "people": self.people, "identifiers": self.identifiers}

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), *(fs.is_valid() for fs in self.formsets.values())])

    @property
    def has_errors(self) -> bool:
        return bool(self.form.errors or any(fs.total_error_count() for fs in self.formsets.values()))

    def referral_data(self) -> services.ReferralData:
        d = self.form.cleaned_data
        kept = {name: [f for f in fs.forms if f.cleaned_data and f.has_content()]
                for name, fs in self.formsets.items()}
        return services.ReferralData(
            child=services.ChildData(**{
                k: (d[k] if d[k] is not None else services.ChildData.__dataclass_fields__[k].default)
                for k in CHILD_FIELDS
            }),
            categories=tuple(d["categories"]), indicators=tuple(d["indicators"]),
            duty_triggers=tuple(d["duty_triggers"]), platforms=tuple(d["platforms"]),
            concern=d["concern"], observed_on=d["observed_on"], observed_where=d["observed_where"],
            emergency_called=d["emergency_called"], emergency_called_at=d["emergency_called_at"],
            guardians=tuple(services.GuardianData(
                name=f.cleaned_data["name"], contact=f.cleaned_data["contact"],
                informed=bool(f.cleaned_data["informed"]),
                not_informed_reason=f.cleaned_data["not_informed_reason"]) for f in kept["guardians"]),
            people=tuple(services.PersonData(role=f.cleaned_data["role"], name=f.cleaned_data["name"],
                                             description=f.cleaned_data["description"]) for f in kept["people"]),
            identifiers=tuple(services.IdentifierData(kind=f.cleaned_data["kind"], value=f.cleaned_data["value"],
                                                      platform=f.cleaned_data["platform"])
                              for f in kept["identifiers"]),
            consent=services.ConsentData(
                given_by=d["consent_given_by"], form=d["consent_form"], child_view=d["consent_child_view"],
                child_view_note=d["consent_child_view_note"]) if d["consent_given_by"] else None,
        )

    def add_service_errors(self, exc) -> None:
        """Put "child.national_id", "guardians.0.name" etc. back on their fields. Row numbers
        count only the rows that had content, as referral_data() sent them."""
        kept = {name: [f for f in fs.forms if getattr(f, "cleaned_data", None) and f.has_content()]
                for name, fs in self.formsets.items()}
        for key, messages in exc.message_dict.items():
            parts = key.split(".")
            if parts[0] in kept and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(kept[parts[0]]):
                row = kept[parts[0]][int(parts[1])]
                row.add_error(parts[2] if parts[2] in row.fields else None, messages)
                continue
            field = {"child": parts[-1], "consent": f"consent_{parts[-1]}"}.get(parts[0], parts[0])
            self.form.add_error(field if field in self.form.fields else None, messages)


def initial_from(data: services.ReferralData, reporting_agency) -> dict:
    """Form initial values from a draft's content."""
    child = data.child
    form = {k: getattr(child, k) for k in CHILD_FIELDS}
    form.update(reporting_agency=reporting_agency, categories=list(data.categories),
                indicators=list(data.indicators), duty_triggers=list(data.duty_triggers),
                platforms=list(data.platforms), concern=data.concern, observed_on=data.observed_on,
                observed_where=data.observed_where, emergency_called=data.emergency_called,
                emergency_called_at=data.emergency_called_at)
    if data.consent is not None:
        form.update(consent_given_by=data.consent.given_by, consent_form=data.consent.form,
                    consent_child_view=data.consent.child_view, consent_child_view_note=data.consent.child_view_note)
    return {
        "form": form,
        "guardians": [{"name": g.name, "contact": g.contact, "informed": "yes" if g.informed else "no",
                       "not_informed_reason": g.not_informed_reason} for g in data.guardians],
        "people": [vars(p) for p in data.people] if data.people and hasattr(data.people[0], "__dict__") else
        [{"role": p.role, "name": p.name, "description": p.description} for p in data.people],
        "identifiers": [{"kind": i.kind, "platform": i.platform, "value": i.value} for i in data.identifiers],
    }
