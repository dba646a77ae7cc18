"""Triage pages and actions for the child welfare service. They call the triage services;
the rules live there."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies import roles
from agencies.models import Agency, User
from config.exceptions import ConflictError

from . import selectors, services
from .access import access_referral
from .models import Decision, Feedback, LegalBasis
from .models.triage import TEXT_MAX_LENGTH


class DecisionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Decision"), choices=[("", "—"), *Decision.Kind.choices])
    justification = forms.CharField(label=gettext_lazy("Justification"), required=False,
                                    max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4}),
                                    help_text=gettext_lazy("Required to dismiss, for an emergency measure and "
                                                           "to extend an investigation."))
    target_agency = forms.ModelChoiceField(label=gettext_lazy("To agency (forward or re-route)"), required=False,
                                           queryset=Agency.objects.filter(is_active=True).order_by("name"))
    legal_basis = forms.ModelChoiceField(label=gettext_lazy("Legal basis (forward)"), required=False,
                                         queryset=LegalBasis.objects.order_by("code"), to_field_name="code")


class AssignForm(forms.Form):
    caseworker = forms.ModelChoiceField(label=gettext_lazy("Caseworker"), queryset=User.objects.none(),
                                        required=False, empty_label=gettext_lazy("Nobody"))

    def __init__(self, *args, agency=None, **kwargs):
        super().__init__(*args, **kwargs)
        if agency is not None:
            self.fields["caseworker"].queryset = selectors.assignable_caseworkers(agency)


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Feedback"), choices=Feedback.Kind.choices)
    message = forms.CharField(label=gettext_lazy("Message to the reporter"), required=False,
                              max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Internal note (only your agency sees it)"),
                           max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


def triage_forms(user, referral, grant) -> dict:
    """The forms a reader of a referral may use, by role."""
    result = {}
    if grant.break_glass:
        return result  # read only
    if grant.role in roles.roles_for(roles.DECIDE) and grant.agency.kind == Agency.Kind.CHILD_WELFARE:
        result["decision_form"] = DecisionForm()
        result["feedback_form"] = FeedbackForm(auto_id="id_feedback_%s")
        result["assign_form"] = AssignForm(agency=grant.agency, initial={"caseworker": referral.caseworker_id})
    if grant.role in roles.roles_for(roles.WRITE_NOTE):
        result["note_form"] = NoteForm()
    return result


def _act(request, reference: str, action: str, form_class, run, success: str):
    referral, grant = access_referral(user=request.user, reference=reference, action=action)
    form = form_class(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label if field in form.fields else ''}: {' '.join(errors)}")
        return redirect("referrals:detail", reference=reference)
    try:
        run(referral, form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConflictError as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        raise
    else:
        messages.success(request, success)
    return redirect("referrals:detail", reference=reference)


@login_required
@require_POST
def decide(request, reference: str):
    return _act(request, reference, "referral.decide", DecisionForm,
                lambda referral, d: services.referral_decide(actor=request.user, referral=referral, **d),
                _("The decision is recorded."))


@login_required
@require_POST
def assign(request, reference: str):
    referral, grant = access_referral(user=request.user, reference=reference, action="referral.assign")
    form = AssignForm(request.POST, agency=grant.agency)
    if not form.is_valid():
        messages.error(request, _("Choose a caseworker in your agency."))
        return redirect("referrals:detail", reference=reference)
    caseworker = form.cleaned_data["caseworker"]
    try:
        if caseworker is None:
            services.caseworker_unassign(actor=request.user, referral=referral)
        else:
            services.caseworker_assign(actor=request.user, referral=referral, caseworker=caseworker)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [getattr(exc, "message", str(exc))])))
    else:
        messages.success(request, _("The caseworker is assigned.") if caseworker else _("Nobody is assigned now."))
    return redirect("referrals:detail", reference=reference)


@login_required
@require_POST
def feedback(request, reference: str):
    return _act(request, reference, "referral.feedback", FeedbackForm,
                lambda referral, d: services.feedback_send(actor=request.user, referral=referral, **d),
                _("The feedback is sent to the reporter."))


@login_required
@require_POST
def note(request, reference: str):
    return _act(request, reference, "referral.note", NoteForm,
                lambda referral, d: services.note_add(actor=request.user, referral=referral, text=d["text"]),
                _("The note is saved."))


@login_required
def chronology(request, reference: str):
    entries = selectors.chronology(user=request.user, reference=reference)
    return render(request, "referrals/chronology.html", {"entries": entries, "reference": reference})


@login_required
@require_POST
def link_case(request, reference: str):
    """Link this referral with another (a match suggestion, or a reference typed in)."""
    other_reference = (request.POST.get("other") or "").strip().upper()[:16]
    referral, _grant = access_referral(user=request.user, reference=reference, action="case.link")
    try:
        other, _other_grant = access_referral(user=request.user, reference=other_reference, action="case.link")
        services.case_link(actor=request.user, referrals=[referral, other])
    except Http404:
        messages.error(request, _("You cannot open a referral with that reference."))
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [getattr(exc, "message", str(exc))])))
    else:
        messages.success(request, _("The referrals are linked into one case."))
    return redirect("referrals:detail", reference=reference)


@login_required
@require_POST
def unlink_case(request, reference: str):
    referral, _grant = access_referral(user=request.user, reference=reference, action="case.unlink")
    try:
        services.case_unlink(actor=request.user, referral=referral)
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The referral is no longer part of the case."))
    return redirect("referrals:detail", reference=reference)


@login_required
def case_chronology(request, case_id: int):
    entries = selectors.case_chronology(user=request.user, case_id=case_id)
    return render(request, "referrals/chronology.html", {"entries": entries, "case_id": case_id})
