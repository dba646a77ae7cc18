"""The auditor's pages. They call the same selectors and services as the API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Agency
from config.exceptions import ConflictError

from . import access_report, selectors, services
from .export import csv_response
from .models import Anomaly, AuditEvent


def _next_query(request, cursor: str | None) -> str | None:
    if not cursor:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return params.urlencode()


def _first_query(request) -> str:
    params = request.GET.copy()
    params.pop("cursor", None)
    return params.urlencode()


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
def events(request):
    filters = selectors.EventFilters()
    page, error = None, None
    try:
        filters = selectors.EventFilters.from_params(request.GET)
        page = selectors.search_events(user=request.user, filters=filters, cursor=request.GET.get("cursor", ""))
    except ValidationError as exc:
        error = _error_text(exc)
        selectors.auditor_scope(request.user, action="audit.search")  # a non-auditor still gets 403
    agencies = Agency.objects.order_by("name")
    if not request.user.is_superuser:
        agencies = agencies.filter(memberships__in=roles.memberships_for(request.user, roles.READ_AUDIT)).distinct()
    return render(request, "audit/events.html", {
        "filters": filters, "page": page, "error": error, "agencies": agencies,
        "outcomes": AuditEvent.Outcome.choices,
        "next_query": _next_query(request, page.next_cursor if page else None),
        "is_first_page": not request.GET.get("cursor"), "first_query": _first_query(request),
    })


@login_required
def event_detail(request, event_id: int):
    event = selectors.event_detail(user=request.user, pk=event_id)
    return render(request, "audit/event_detail.html", {
        "event": event, "basis": access_report.Basis.LABELS[access_report.basis_of(event)],
        "kind": access_report.ACCESS_KIND_LABELS[access_report.access_kind(event)],
    })


@login_required
def find_child(request):
    """National ID numbers come in a POST body and never go into a URL: the answer is a
    redirect to the report by the child's (opaque) referral reference."""
    if request.method != "POST":
        selectors.auditor_scope(request.user, action="audit.child_lookup")  # 403 (audited) first
        return HttpResponseNotAllowed(["POST"])
    try:
        subject = selectors.find_child(user=request.user, national_id=request.POST.get("national_id", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("audit:events")
    return redirect("audit:report", reference=subject.reference)


@login_required
def report(request, reference: str):
    try:
        subject, page = access_report.access_report(user=request.user, reference=reference,
                                                cursor=request.GET.get("cursor", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("audit:report", reference=reference)
    return render(request, "audit/report.html", {
        "subject": subject, "page": page, "next_query": _next_query(request, page.next_cursor),
        "is_first_page": not request.GET.get("cursor"),
    })


@login_required
def report_export(request, reference: str):
    subject, rows = access_report.access_report_export(user=request.user, reference=reference)
    return csv_response(subject, rows)


@login_required
def anomalies(request):
    state = request.GET.get("state", "open")
    try:
        page = selectors.anomaly_list(user=request.user, state=state, cursor=request.GET.get("cursor", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("audit:anomalies")
    return render(request, "audit/anomalies.html", {
        "page": page, "state": state, "next_query": _next_query(request, page.next_cursor),
        "is_first_page": not request.GET.get("cursor"), "kinds": Anomaly.Kind,
    })


@login_required
def anomaly_review(request, anomaly_id: int):
    _scope, anomaly = selectors.access_anomaly(user=request.user, pk=anomaly_id, action="audit.anomaly_reviewed")
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.anomaly_review(actor=request.user, anomaly=anomaly, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except ConflictError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Marked as reviewed."))
    return redirect(f"{reverse('audit:anomalies')}?state={request.POST.get('state', 'open')}")
