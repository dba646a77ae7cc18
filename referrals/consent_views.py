"""Consent and disclosure pages: a referral's consents (record one, with its document if
written; attach a document later; download it; record a withdrawal) and its disclosure log
(with the CSV export). They call the consent services and selectors; the rules live there."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from agencies.models import Agency
from config.exceptions import ConflictError

from . import selectors, services
from .access import access_consent
from .disclosure_export import csv_response
from .documents import DOCUMENT_ACCEPT, download_response
from .form_actions import perform
from .handover_views import RECEIVER_KINDS, _apply_errors
from .models import Consent
from .models.consent import TEXT_MAX_LENGTH


class ConsentForm(forms.Form):
    given_by = forms.ChoiceField(
        label=gettext_lazy("Who gives the consent"), choices=Consent.Giver.choices, widget=forms.RadioSelect,
        help_text=gettext_lazy("From 15 the child's own consent is the one asked for; under 15 a guardian's."))
    child_view = forms.ChoiceField(label=gettext_lazy("The child's own view"), choices=Consent.View.choices,
                                   widget=forms.RadioSelect,
                                   help_text=gettext_lazy("The child has a right to be heard."))
    child_view_note = forms.CharField(label=gettext_lazy("What the child said"), required=False,
                                      max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))
    guardians_view = forms.ChoiceField(label=gettext_lazy("The guardians' view (when the child consents)"),
                                       choices=Consent.View.choices, initial=Consent.View.NOT_ASKED)
    recipients = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Agencies it lets you share with"), widget=forms.CheckboxSelectMultiple,
        queryset=Agency.objects.filter(is_active=True, kind__in=RECEIVER_KINDS).order_by("name"))
    purposes = forms.MultipleChoiceField(label=gettext_lazy("For what"), choices=Consent.Purpose.choices,
                                         widget=forms.CheckboxSelectMultiple)
    form = forms.ChoiceField(label=gettext_lazy("Given"), choices=Consent.Form.choices, widget=forms.RadioSelect)
    valid_until = forms.DateTimeField(label=gettext_lazy("Valid until"), required=False,
                                      widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                 format="%Y-%m-%dT%H:%M"),
                                      help_text=gettext_lazy("Empty: until withdrawn."))
    document = forms.FileField(
        label=gettext_lazy("Document"), required=False, allow_empty_file=True,
        widget=forms.FileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text=gettext_lazy("Optional: a scan or photo of the written consent (PDF, PNG or JPEG, at most "
                               "5 MB)."))


class DocumentForm(forms.Form):
    document = forms.FileField(label=gettext_lazy("Document"), allow_empty_file=True,
                               widget=forms.FileInput(attrs={"accept": DOCUMENT_ACCEPT}))


class WithdrawForm(forms.Form):
    withdrawn_by = forms.ChoiceField(label=gettext_lazy("Withdrawn by"), choices=Consent.Giver.choices)
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 2}))


@login_required
def consent_list(request, reference: str):
    referral, _membership, consents = selectors.consents_of_referral(user=request.user, reference=reference)
    form = ConsentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_record(actor=request.user, referral=referral, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except (ConflictError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "message", None) or str(exc))
        else:
            messages.success(request, _("Consent recorded: %(reference)s") % {"reference": consent.reference})
            return redirect("referrals:consents", reference=referral.reference)
    return render(request, "referrals/consent_list.html", {
        "referral": referral, "consents": consents, "form": form, "withdraw_form": WithdrawForm(),
        "document_accept": DOCUMENT_ACCEPT,
    }, status=400 if form.is_bound and form.errors else 200)


@login_required
@require_POST
def consent_withdraw(request, reference: str):
    consent, _membership = access_consent(user=request.user, reference=reference, action="consent.withdraw")
    if perform(request, WithdrawForm(request.POST), services.consent_withdraw, consent=consent):
        messages.success(request, _("The withdrawal is recorded. Access that rested only on this consent has "
                                    "ended, and the receiving agencies have been told."))
    return redirect("referrals:consents", reference=consent.referral.reference)


@login_required
@require_GET
def consent_document(request, reference: str):
    consent, handle = selectors.consent_document(user=request.user, reference=reference)
    return download_response(consent, handle)


@login_required
@require_POST
def consent_document_attach(request, reference: str):
    consent, _membership = access_consent(user=request.user, reference=reference, action="consent.document_attach")
    if perform(request, DocumentForm(request.POST, request.FILES), services.consent_attach_document, consent=consent):
        messages.success(request, _("The document is attached to %(reference)s.") % {"reference": consent.reference})
    return redirect("referrals:consents", reference=consent.referral.reference)


@login_required
def disclosure_log(request, reference: str):
    referral, _membership, rows = selectors.disclosure_log(user=request.user, reference=reference)
    return render(request, "referrals/consent_disclosures.html", {"referral": referral, "rows": rows})


@login_required
def disclosure_export(request, reference: str):
    referral, _membership, rows = selectors.disclosure_log(user=request.user, reference=reference,
                                                           action="disclosure.log_exported")
    return csv_response(referral, rows)
