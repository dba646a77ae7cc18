"""Handover pages: the liaison's inbox, a handover with its answer and message forms, and
handing a referral over from the referral page. They call the handover services; the rules
live there."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from agencies import roles
from agencies.models import Agency
from audit.recorder import record
from config.exceptions import ConflictError

from . import selectors, services
from .access import access_handover, access_referral
from .models import Consent, Handover, LegalBasis, Urgency
from .models.consent import TEXT_MAX_LENGTH as OVERRIDE_REASON_MAX_LENGTH
from .models.handover import TEXT_MAX_LENGTH
from .services.handovers import EXTERNAL_REFERENCE_MAX_LENGTH

RECEIVER_KINDS = sorted({kind for kinds in Handover.RECEIVER_KINDS.values() for kind in kinds})


class DisclosureForm(forms.Form):
    """The fields every form that discloses part of a referral shares (a handover, an
    export): the legal basis, what is disclosed, the consent relied on, and the override."""

    legal_basis = forms.ModelChoiceField(label=gettext_lazy("Legal basis"), queryset=LegalBasis.objects.order_by("code"),
                                         to_field_name="code")
    scope = forms.MultipleChoiceField(
        label=gettext_lazy("What the receiving agency may see"), choices=Handover.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Disclose no more than the receiver needs. Everything else stays hidden."))
    consent = forms.ModelChoiceField(
        label=gettext_lazy("Consent relied on"), required=False, queryset=Consent.objects.none(),
        to_field_name="reference",
        help_text=gettext_lazy("On the consent basis. Empty: a valid consent covering the receiver and this kind "
                               "of handover is found."))
    override = forms.BooleanField(
        label=gettext_lazy("Share without the consent (override)"), required=False,
        help_text=gettext_lazy("Only agency administrators may; write why. Flagged for auditors."))
    override_reason = forms.CharField(label=gettext_lazy("Why it is shared without consent"), required=False,
                                      max_length=OVERRIDE_REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, referral=None, **kwargs):
        super().__init__(*args, **kwargs)
        if referral is not None:
            self.fields["consent"].queryset = Consent.objects.filter(
                referral=referral, withdrawn_at__isnull=True, ended_at__isnull=True).order_by("-recorded_at")
            self.fields["consent"].label_from_instance = lambda c: (
                f"{c.reference} · {c.get_given_by_display()} · {', '.join(c.purpose_labels())}")


class HandoverForm(DisclosureForm):
    field_order = ["type", "receiving_agency", "legal_basis", "scope", "urgency", "message", "consent", "override",
                   "override_reason"]

    type = forms.ChoiceField(label=gettext_lazy("Kind of handover"), choices=[("", "—"), *Handover.Type.choices])
    receiving_agency = forms.ModelChoiceField(
        label=gettext_lazy("To agency"),
        queryset=Agency.objects.filter(is_active=True, kind__in=RECEIVER_KINDS).order_by("name"))
    urgency = forms.ChoiceField(label=gettext_lazy("Urgency"), choices=Urgency.choices,
                                help_text=gettext_lazy("Sets the deadline to acknowledge: P0 one hour, P1 the same "
                                                       "day, otherwise two working days."))
    message = forms.CharField(label=gettext_lazy("Message to the receiver"), required=False,
                              max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


class AcknowledgeForm(forms.Form):
    external_reference = forms.CharField(
        label=gettext_lazy("Your reference (for example the police case number)"),
        max_length=EXTERNAL_REFERENCE_MAX_LENGTH)


class DeclineForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why you decline it"), max_length=TEXT_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 3}))


class RevokeForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why you revoke it"), required=False, max_length=TEXT_MAX_LENGTH,
                             widget=forms.Textarea(attrs={"rows": 2}))


class MessageForm(forms.Form):
    text = forms.CharField(label=gettext_lazy("Message"), max_length=TEXT_MAX_LENGTH,
                           widget=forms.Textarea(attrs={"rows": 3}))


def _apply_errors(form: forms.Form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
def handover_inbox(request):
    box = "sent" if request.GET.get("box") == "sent" else "received"
    status = request.GET.get("status", "pending" if box == "received" else "")
    if status not in Handover.Status.values:
        status = ""
    page = Paginator(selectors.handover_list(user=request.user, box=box, status=status or None), 50).get_page(
        request.GET.get("page"))
    selectors.audit_handover_list(user=request.user, handovers=page.object_list)
    return render(request, "referrals/handover_inbox.html", {
        "page": page, "box": box, "status": status, "statuses": Handover.Status.choices,
        "can_send": roles.can(request.user, roles.SEND_HANDOVER),
        "page_query": urlencode({"box": box, "status": status}),
    })


@login_required
def handover_create(request, reference: str):
    referral, grant = access_referral(user=request.user, reference=reference, action="handover.create")
    if grant.is_scoped or grant.role not in roles.roles_for(roles.SEND_HANDOVER):
        record(action="handover.create", actor=request.user, outcome="denied", agency=grant.agency,
               role=grant.role, target=referral, child_id=referral.child_id,
               changes={"reference": referral.reference})
        raise PermissionDenied
    form = HandoverForm(request.POST or None, initial={"urgency": referral.urgency}, referral=referral)
    if request.method == "POST" and form.is_valid():
        try:
            handover = services.handover_create(actor=request.user, referral=referral, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        except (ConflictError, PermissionDenied) as exc:
            form.add_error(None, getattr(exc, "message", None) or str(exc))
        else:
            messages.success(request, _("Handed over to %(agency)s. Reference: %(reference)s")
                             % {"agency": handover.receiving_agency.name, "reference": handover.reference})
            return redirect("referrals:detail", reference=referral.reference)
    return render(request, "referrals/handover_form.html", {"form": form, "referral": referral})


@login_required
def handover_detail(request, reference: str):
    read = selectors.handover_detail(user=request.user, reference=reference)
    return render(request, "referrals/handover_detail.html", {
        "read": read, "handover": read.handover, "disclosed": read.disclosed,
        "acknowledge_form": AcknowledgeForm(), "decline_form": DeclineForm(), "revoke_form": RevokeForm(),
        "message_form": MessageForm(),
    })


def _act(request, reference: str, action: str, form_class, call, success: str):
    handover, _membership, _side = access_handover(user=request.user, reference=reference, action=action)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("referrals:handover-detail", reference=reference)
    try:
        call(handover, form.cleaned_data if form is not None else {})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc) or _("You may not do this."))
    else:
        messages.success(request, success)
    return redirect("referrals:handover-detail", reference=reference)


@login_required
@require_POST
def handover_acknowledge(request, reference: str):
    return _act(request, reference, "handover.acknowledge", AcknowledgeForm,
                lambda h, data: services.handover_acknowledge(actor=request.user, handover=h, **data),
                _("Acknowledged. The sender can see your reference."))


@login_required
@require_POST
def handover_accept(request, reference: str):
    return _act(request, reference, "handover.accept", None,
                lambda h, data: services.handover_accept(actor=request.user, handover=h),
                _("Accepted. The sender has been told."))


@login_required
@require_POST
def handover_decline(request, reference: str):
    return _act(request, reference, "handover.decline", DeclineForm,
                lambda h, data: services.handover_decline(actor=request.user, handover=h, **data),
                _("Declined. The sender has been told why."))


@login_required
@require_POST
def handover_revoke(request, reference: str):
    return _act(request, reference, "handover.revoke", RevokeForm,
                lambda h, data: services.handover_revoke(actor=request.user, handover=h, **data),
                _("Revoked. The receiving agency has been told."))


@login_required
@require_POST
def handover_message(request, reference: str):
    return _act(request, reference, "handover.message", MessageForm,
                lambda h, data: services.handover_message_post(actor=request.user, handover=h, **data),
                _("Message sent."))


@login_required
@require_POST
def routing_acknowledge(request, reference: str):
    referral, _grant = access_referral(user=request.user, reference=reference, action="routing.acknowledge")
    try:
        services.routing_acknowledge(actor=request.user, referral=referral)
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, getattr(exc, "message", None) or str(exc) or _("You may not do this."))
    else:
        messages.success(request, _("Receipt acknowledged for your agency."))
    return redirect("referrals:detail", reference=reference)
