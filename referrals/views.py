"""HTML pages. They call the same services and selectors as the API; no rules live here."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agencies import roles

from . import selectors, services
from .forms import ReferralForm
from .models import Notification
from .routing import legal_basis_text, reason_text

CHILD_FIELDS = {"given_name", "family_name", "date_of_birth", "estimated_age", "municipality"}


@login_required
def home(request):
    return render(request, "referrals/home.html", {
        "can_file": roles.can(request.user, roles.FILE_REFERRAL),
        "queues": selectors.queue_memberships(request.user),
    })


@login_required
def referral_create(request):
    if not roles.can(request.user, roles.FILE_REFERRAL):
        raise PermissionDenied
    form = ReferralForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_submit(
                actor=request.user,
                reporting_agency=data["reporting_agency"],
                child=services.ChildData(**{k: data[k] for k in CHILD_FIELDS}),
                category=data["category"],
                concern=data["concern"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your concern has been received. Reference: %(reference)s")
                             % {"reference": referral.reference})
            return redirect("referrals:detail", reference=referral.reference)
    return render(request, "referrals/referral_form.html", {"form": form})


@login_required
def referral_detail(request, reference: str):
    referral, grant = selectors.referral_detail(user=request.user, reference=reference)
    routings = [
        {"routing": r, "reason": reason_text(r.reason), "legal_basis": legal_basis_text(r.legal_basis)}
        for r in referral.routings.all()
    ]
    return render(request, "referrals/referral_detail.html", {
        "referral": referral, "grant": grant, "routings": routings,
        "is_reporter_view": grant.role == roles.Role.REPORTER,
    })


@login_required
def referral_queue(request):
    agency_param = request.GET.get("agency")
    agency_id = int(agency_param) if agency_param and agency_param.isdigit() else None
    membership = selectors.queue_membership(request.user, agency_id)
    page = Paginator(selectors.referral_queue(agency=membership.agency), 50).get_page(request.GET.get("page"))
    selectors.audit_list_read(user=request.user, referrals=page.object_list, agency=membership.agency,
                              role=membership.role, action="referral.listed")
    return render(request, "referrals/queue.html", {
        "page": page, "membership": membership, "queues": selectors.queue_memberships(request.user),
    })


@login_required
def referrals_mine(request):
    page = Paginator(selectors.referrals_filed_by(user=request.user), 50).get_page(request.GET.get("page"))
    selectors.audit_list_read(user=request.user, referrals=page.object_list, agency=None,
                              role=roles.Role.REPORTER, action="referral.listed_own")
    return render(request, "referrals/mine.html", {"page": page})


@login_required
def inbox(request):
    page = Paginator(selectors.inbox(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def notification_read(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    services.notification_mark_read(actor=request.user, notification=notification)
    if notification.referral_id:
        return redirect("referrals:detail", reference=notification.referral.reference)
    return redirect("inbox")
