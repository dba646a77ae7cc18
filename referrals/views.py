"""HTML pages. They call the same services and selectors as the API; no rules live here."""

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
from config.exceptions import ConflictError

from django.utils import timezone

from . import queue, selectors, services
from .access import access_notification, access_referral
from .form_actions import perform
from .forms import AddendumForm, ReferralFormGroup, ReporterConsentForm, initial_from
from .models import Category, Notification, Referral
from .presentation import routing_reasons
from .services.inbox import preferences_for
from .triage_views import triage_forms


@login_required
def home(request):
    return render(request, "referrals/home.html", {
        "can_file": roles.can(request.user, roles.FILE_REFERRAL),
        "can_break_glass": roles.can(request.user, roles.BREAK_GLASS),
        "administered": roles.memberships_for(request.user, roles.MANAGE_SIGN_IN).order_by("agency__name"),
        "queues": selectors.queue_memberships(request.user),
        "can_audit": request.user.is_superuser or roles.can(request.user, roles.READ_AUDIT),
    })


def _emergency_units(user):
    """The child welfare emergency units serving the reporter's agencies: their numbers are
    shown before anything else when a child is in immediate danger."""
    municipalities = roles.memberships_for(user, roles.FILE_REFERRAL).values_list("agency__municipality", flat=True)
    return Agency.objects.filter(kind=Agency.Kind.CHILD_WELFARE_EMERGENCY, is_active=True,
                                 municipality__in=municipalities).exclude(phone="")


def _save_from_form(request, group: ReferralFormGroup, *, referral=None):
    """Draft or submit, as the button said. Returns a redirect, or None to show errors."""
    submit = request.POST.get("action") == "submit"
    data = group.referral_data()
    try:
        if referral is None and submit:
            referral = services.referral_file(actor=request.user, data=data,
                                              reporting_agency=group.form.cleaned_data["reporting_agency"])
        elif referral is None:
            referral = services.referral_draft_create(actor=request.user, data=data,
                                                      reporting_agency=group.form.cleaned_data["reporting_agency"])
        else:
            referral = services.referral_draft_update(actor=request.user, referral=referral, data=data)
            if submit:
                referral = services.referral_submit(actor=request.user, referral=referral)
    except ValidationError as exc:
        group.add_service_errors(exc)
        if referral is not None and submit:
            messages.info(request, _("Your changes are saved as a draft, but it cannot be sent yet."))
        return None
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("referrals:detail", reference=referral.reference)
    if submit:
        messages.success(request, _("Your concern has been received. Reference: %(reference)s")
                         % {"reference": referral.reference})
        return redirect("referrals:detail", reference=referral.reference)
    messages.success(request, _("Draft saved. Nobody else can see it until you send it."))
    return redirect("referrals:edit", reference=referral.reference)


@login_required
def referral_create(request):
    if not roles.can(request.user, roles.FILE_REFERRAL):
        raise PermissionDenied
    danger = request.GET.get("danger")
    if request.method == "GET" and danger not in ("yes", "no"):
        return render(request, "referrals/danger_question.html", {
            "emergency_units": _emergency_units(request.user)})
    initial = {"form": {"emergency_called": True, "categories": ["A"]}} if danger == "yes" else None
    group = ReferralFormGroup(user=request.user, data=request.POST or None, initial=initial)
    if request.method == "POST" and group.is_valid():
        response = _save_from_form(request, group)
        if response is not None:
            return response
    return render(request, "referrals/referral_form.html", {
        "group": group, "form": group.form, "danger": danger == "yes" or request.POST.get("emergency_called"),
        "emergency_units": _emergency_units(request.user),
    })


@login_required
def referral_edit(request, reference: str):
    referral, grant = access_referral(user=request.user, reference=reference, action="referral.update")
    if referral.reporter_id != request.user.pk:
        raise PermissionDenied
    if not referral.is_draft:
        messages.info(request, _("This referral has been sent. You can add information to it here."))
        return redirect("referrals:detail", reference=reference)
    initial = initial_from(services.draft_data(referral), referral.reporting_agency)
    group = ReferralFormGroup(user=request.user, data=request.POST or None, initial=initial)
    if request.method == "POST" and group.is_valid():
        response = _save_from_form(request, group, referral=referral)
        if response is not None:
            return response
    return render(request, "referrals/referral_form.html", {
        "group": group, "form": group.form, "referral": referral, "danger": referral.emergency_called,
        "emergency_units": _emergency_units(request.user),
    })


@login_required
def referral_detail(request, reference: str):
    referral, grant = selectors.referral_detail(user=request.user, reference=reference)
    if referral.is_draft:
        return redirect("referrals:edit", reference=reference)
    routings = [{"routing": r, "reasons": routing_reasons(r)} for r in referral.routings.all()]
    is_reporter_view = grant.role == roles.Role.REPORTER
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "grant": grant, "routings": routings, "is_reporter_view": is_reporter_view,
        "matches": selectors.match_suggestions(user=request.user, referral=referral, grant=grant),
        "links": selectors.identifier_links(user=request.user, referral=referral, grant=grant),
        "addendum_form": AddendumForm() if referral.reporter_id == request.user.pk else None,
        "reporter_consent_form": ReporterConsentForm() if is_reporter_view and any(
            r.identity_withheld and not r.rerouted_at for r in referral.routings.all()) else None,
        "deadlines": list(referral.deadlines.select_related("clock")) if not is_reporter_view else [],
        "decisions": list(referral.decisions.select_related("decided_by", "target_agency")),
        "feedback": list(referral.feedback.all()),
        "notes": list(referral.notes.filter(agency=grant.agency).select_related("author")),
        "case_members": selectors.case_members(user=request.user, referral=referral),
        "can_link": grant.role in roles.roles_for(roles.DECIDE) and not grant.break_glass,
        "handovers": selectors.handovers_of_referral(referral=referral, grant=grant),
        "can_hand_over": (grant.role in roles.roles_for(roles.SEND_HANDOVER) and not referral.is_draft
                          and not grant.break_glass),
        "can_manage_consent": (grant.role in roles.roles_for(roles.MANAGE_CONSENT) and not grant.is_scoped
                               and not grant.break_glass),
        "can_read_disclosures": (grant.role in roles.roles_for(roles.READ_DISCLOSURES) and not grant.is_scoped
                                 and not grant.break_glass),
        "my_routing": next((r for r in referral.routings.all() if r.agency_id == grant.agency.pk), None)
        if grant.role in roles.roles_for(roles.ACKNOWLEDGE_ROUTING) else None,
        **triage_forms(request.user, referral, grant),
    })


@login_required
@require_POST
def referral_addendum(request, reference: str):
    referral, grant = access_referral(user=request.user, reference=reference, action="referral.addendum")
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.referral_add_addendum(actor=request.user, referral=referral, text=form.cleaned_data["text"])
        except (ValidationError, ConflictError) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("Your addendum has been added and the agencies are told."))
    else:
        messages.error(request, _("Write the information you want to add."))
    return redirect("referrals:detail", reference=reference)


@login_required
@require_POST
def referral_reporter_consent(request, reference: str):
    """The reporter records a consent obtained after filing (the service decides who may)."""
    referral, _grant = access_referral(user=request.user, reference=reference, action="consent.record")
    consent = perform(request, ReporterConsentForm(request.POST), services.consent_record_by_reporter,
                      referral=referral)
    if consent is not None:
        messages.success(request, _("Consent recorded: %(reference)s. The agencies it names now see who the "
                                    "child is, and have been told.") % {"reference": consent.reference})
    return redirect("referrals:detail", reference=reference)


@login_required
def referral_queue(request):
    agency_param = request.GET.get("queue") or request.GET.get("agency")
    agency_id = int(agency_param) if agency_param and agency_param.isdigit() else None
    membership = selectors.queue_membership(request.user, agency_id)
    try:
        filters = queue.Filters.from_params(request.GET)
        result = selectors.queue_page(user=request.user, membership=membership, filters=filters,
                                      cursor=request.GET.get("cursor", ""), size=50)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(f"{request.path}?queue={membership.agency_id}")
    now = timezone.now()
    rows = [{"routing": r, "referral": r.referral, "deadline": queue.deadline_state(r, now)} for r in result.rows]
    next_query = None
    if result.next_cursor:
        params = request.GET.copy()
        params["cursor"] = result.next_cursor
        next_query = params.urlencode()
    return render(request, "referrals/queue.html", {
        "rows": rows, "counts": result.counts, "filters": filters, "membership": membership,
        "queues": selectors.queue_memberships(request.user), "next_query": next_query,
        "is_first_page": not request.GET.get("cursor"),
        "statuses": [(s, Referral.Status(s).label) for s in Referral.OPEN_STATUSES],
        "categories": Category.objects.order_by("code"),
        "caseworkers": selectors.assignable_caseworkers(membership.agency),
    })


@login_required
def referrals_mine(request):
    page = Paginator(selectors.referrals_filed_by(user=request.user), 50).get_page(request.GET.get("page"))
    selectors.audit_list_read(user=request.user, referrals=page.object_list, agency=None,
                              role=roles.Role.REPORTER, action="referral.listed_own")
    return render(request, "referrals/mine.html", {"page": page})


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(user=request.user).select_related("handover"), 50).get_page(
        request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(actor=request.user)
    messages.success(request, _("Marked %(count)d as read.") % {"count": count})
    return redirect("inbox")


class PreferencesForm(forms.Form):
    email_events = forms.MultipleChoiceField(
        label=gettext_lazy("Send me an e-mail when"), required=False, choices=Notification.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("E-mails name only the event, a reference and a link: never anything about the "
                               "child. Your inbox here always shows everything."))
    daily_digest = forms.BooleanField(label=gettext_lazy("Send me a daily digest of unread notifications"),
                                      required=False)


@login_required
def notification_preferences(request):
    preference = preferences_for(request.user)
    form = PreferencesForm(request.POST or None, initial={"email_events": preference.email_events,
                                                          "daily_digest": preference.daily_digest})
    if request.method == "POST" and form.is_valid():
        services.notification_preferences_update(actor=request.user, **form.cleaned_data)
        messages.success(request, _("Your notification settings are saved."))
        return redirect("notification-preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@login_required
@require_POST
def notification_read(request, notification_id: int):
    notification = access_notification(user=request.user, notification_id=notification_id)
    services.notification_mark_read(actor=request.user, notification=notification)
    if notification.handover_id:
        return redirect("referrals:handover-detail", reference=notification.handover.reference)
    if notification.referral_id:
        return redirect("referrals:detail", reference=notification.referral.reference)
    return redirect("inbox")
