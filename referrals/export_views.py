"""Exporting case data to another agency from the referral page: the form (recipient,
purpose, legal basis, consent, the parts to export, the override) and the printable export
document. They call the export service; the rules live there."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from agencies import roles
from agencies.models import Agency

from . import services
from .access import access_referral_for
from .handover_views import DisclosureForm, _apply_errors
from .models import Consent


class ExportForm(DisclosureForm):
    field_order = ["recipient", "purpose", "legal_basis", "consent", "scope", "override", "override_reason"]

    recipient = forms.ModelChoiceField(label=gettext_lazy("To agency"),
                                       queryset=Agency.objects.filter(is_active=True).order_by("name"))
    purpose = forms.ChoiceField(label=gettext_lazy("Purpose"), choices=[("", "—"), *Consent.Purpose.choices],
                                help_text=gettext_lazy("What the receiving agency does with it. A consent must "
                                                       "name the same purpose."))

    def __init__(self, *args, sending_agency: Agency | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        recipient = self.fields["recipient"]
        if sending_agency is not None:
            recipient.queryset = recipient.queryset.exclude(pk=sending_agency.pk)
        recipient.label_from_instance = lambda a: f"{a.name} ({a.get_kind_display()})"
        self.fields["scope"].help_text = gettext_lazy(
            "Export no more than the receiver needs. Only these parts are in the document.")
        self.fields["consent"].help_text = gettext_lazy(
            "On the consent basis. Empty: a valid consent covering the receiver and the purpose is found.")


@login_required
def export_create(request, reference: str):
    """GET: the form. POST: export, and answer with the export document to print; an
    invalid or refused export shows the form again with what is wrong, and saves nothing."""
    referral, membership = access_referral_for(user=request.user, reference=reference, action="referral.export",
                                               permission=roles.SEND_HANDOVER)
    form = ExportForm(request.POST if request.method == "POST" else None, referral=referral,
                      sending_agency=membership.agency)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            try:
                export = services.referral_export(actor=request.user, referral=referral, **form.cleaned_data)
            except ValidationError as exc:
                _apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            else:
                return document_response(request, referral, export)
    return render(request, "referrals/export_form.html", {"form": form, "referral": referral}, status=status)


def document_response(request, referral, export):
    disclosure = export.disclosure
    response = render(request, "referrals/export_document.html", {
        "referral": referral, "disclosure": disclosure, "disclosed": export.parts, "name": export.name,
        "purpose": dict(Consent.Purpose.choices).get(disclosure.purpose, disclosure.purpose),
    })
    response["Cache-Control"] = "no-store"
    return response
