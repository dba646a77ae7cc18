from django import forms
from django.utils.translation import gettext_lazy as _

from agencies import roles
from agencies.models import Agency, Municipality

from .models import CONCERN_MAX_LENGTH, Category


class ReferralForm(forms.Form):
    """The concern form. Field shape only: the rules live in services.referral_submit."""

    reporting_agency = forms.ModelChoiceField(
        label=_("I report for"), queryset=Agency.objects.none(), empty_label=None,
    )
    given_name = forms.CharField(label=_("Child's given name"), max_length=100)
    family_name = forms.CharField(label=_("Child's family name"), max_length=100, required=False)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty if you do not know it, and give an estimated age."),
    )
    estimated_age = forms.IntegerField(
        label=_("Estimated age"), required=False, min_value=0, max_value=17,
        help_text=_("If the age is uncertain, the child is treated as a child."),
    )
    municipality = forms.ModelChoiceField(
        label=_("Child's municipality"), queryset=Municipality.objects.all(), required=False,
        empty_label=_("Same as my agency"),
    )
    category = forms.ChoiceField(label=_("What is the concern about?"), choices=Category.choices,
                                 widget=forms.RadioSelect)
    concern = forms.CharField(
        label=_("What have you observed?"), max_length=CONCERN_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Describe what you saw or heard, when and where. Facts, not conclusions."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        agency_ids = roles.memberships_for(user, roles.FILE_REFERRAL).values_list("agency_id", flat=True)
        self.fields["reporting_agency"].queryset = Agency.objects.filter(pk__in=list(agency_ids))
