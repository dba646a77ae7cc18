"""The auditor's API under /api/v1/audit/: search events, one event, the access report
for one child (JSON and CSV), finding a child by national ID number, and anomalies.
Non-auditors get 403; everything here is itself audited (audit/selectors.py)."""

from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import access_report, selectors, services
from .export import csv_response
from .models import Anomaly, AuditEvent
from config import converters  # noqa: F401  (registers <id:...>)

app_name = "audit-api"


class EventSerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", default="", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "actor_username", "agency", "agency_name", "role", "action", "outcome",
                  "target_type", "target_id", "child_id", "legal_basis", "request_id"]


class EventDetailSerializer(EventSerializer):
    class Meta(EventSerializer.Meta):
        fields = EventSerializer.Meta.fields + ["ip_address", "user_agent", "changes"]


class EventPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = EventSerializer(many=True)


class ReportRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="event.pk")
    occurred_at = serializers.DateTimeField(source="event.occurred_at")
    access = serializers.CharField(source="kind")
    action = serializers.CharField(source="event.action")
    outcome = serializers.CharField(source="event.outcome")
    user = serializers.CharField(source="event.actor_username")
    agency = serializers.IntegerField(source="event.agency_id", allow_null=True)
    agency_name = serializers.CharField(source="event.agency.name", default="")
    role = serializers.CharField(source="event.role")
    basis = serializers.CharField()
    basis_label = serializers.CharField()
    legal_basis = serializers.CharField(source="event.legal_basis")
    reference = serializers.CharField()


class ReportPageSerializer(serializers.Serializer):
    reference = serializers.CharField()
    references = serializers.ListField(child=serializers.CharField())
    next = serializers.URLField(allow_null=True)
    results = ReportRowSerializer(many=True)


class ChildLookupInputSerializer(serializers.Serializer):
    national_id = serializers.CharField(max_length=20, write_only=True,
                                        help_text="Fødselsnummer or D-number; matched through the keyed hash.")


class ChildLookupSerializer(serializers.Serializer):
    references = serializers.ListField(child=serializers.CharField())


class ReviewSerializer(serializers.Serializer):
    reviewed_by = serializers.CharField(source="reviewed_by.username")
    reviewed_at = serializers.DateTimeField()
    note = serializers.CharField()


class AnomalySerializer(serializers.ModelSerializer):
    agency_name = serializers.CharField(source="agency.name", default="", read_only=True)
    review = serializers.SerializerMethodField()

    class Meta:
        model = Anomaly
        fields = ["id", "kind", "actor_username", "agency", "agency_name", "window_start", "window_end", "count",
                  "baseline", "first_event_id", "last_event_id", "detected_at", "review"]

    @extend_schema_field(ReviewSerializer(allow_null=True))
    def get_review(self, anomaly) -> dict | None:
        review = getattr(anomaly, "review", None)
        return ReviewSerializer(review).data if review is not None else None


class AnomalyPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = AnomalySerializer(many=True)


class ReviewInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=services.NOTE_MAX_LENGTH)


def _next_url(request, cursor: str | None) -> str | None:
    if not cursor:
        return None
    query = request.query_params.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _size(request, default: int) -> int:
    try:
        return int(request.query_params.get("page_size", default))
    except ValueError:
        raise serializers.ValidationError({"page_size": [_("Give a whole number.")]})


def _no_empty_numbers(request, *names: str) -> None:
    """An integer query parameter given empty is refused, as the schema says (the web
    pages' search form treats empty as "any"; other bad values the filters refuse)."""
    errors = {name: [_("Give a whole number.")] for name in names
              if request.query_params.get(name) == ""}
    if errors:
        raise serializers.ValidationError(errors)


FILTER_PARAMETERS = [
    OpenApiParameter("user", OpenApiTypes.STR, description="User name of whoever caused the event."),
    OpenApiParameter("agency", OpenApiTypes.INT, description="Agency id the event was recorded for."),
    OpenApiParameter("child", OpenApiTypes.STR, description="A referral reference: events about its child "
                     "(every record of the child with the same national ID number). To search by national "
                     "ID number, first POST it to children/lookup/."),
    OpenApiParameter("action", OpenApiTypes.STR, description="Exact action, or a prefix ending in * "
                     "(referral.*)."),
    OpenApiParameter("outcome", OpenApiTypes.STR, enum=list(AuditEvent.Outcome.values)),
    OpenApiParameter("since", OpenApiTypes.STR, description="From this date or date-time (Oslo time if no offset)."),
    OpenApiParameter("until", OpenApiTypes.STR, description="Until this date (inclusive) or date-time."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's next link."),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="1-500, default 50."),
]


@extend_schema(tags=["audit"])
class EventListView(APIView):
    """Search the audit trail, newest first. Auditors only; the search is audited."""

    @extend_schema(operation_id="audit_events_list", parameters=FILTER_PARAMETERS, responses=EventPageSerializer)
    def get(self, request):
        _no_empty_numbers(request, "agency")
        filters = selectors.EventFilters.from_params(request.query_params)
        page = selectors.search_events(user=request.user, filters=filters,
                                       cursor=request.query_params.get("cursor", ""), size=_size(request, 50))
        return Response({"next": _next_url(request, page.next_cursor),
                         "results": EventSerializer(page.rows, many=True).data})


@extend_schema(tags=["audit"])
class EventDetailView(APIView):
    """One event and what changed (codes and references, never case text)."""

    @extend_schema(responses=EventDetailSerializer)
    def get(self, request, event_id: int):
        return Response(EventDetailSerializer(selectors.event_detail(user=request.user, pk=event_id)).data)


@extend_schema(tags=["audit"])
class ChildLookupView(APIView):
    """Find a child by national ID number (in the body, never in a URL): the references
    of the child's referrals, for the access report and the child filter."""

    @extend_schema(request=ChildLookupInputSerializer, responses=ChildLookupSerializer)
    def post(self, request):
        data = ChildLookupInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = selectors.find_child(user=request.user, national_id=data.validated_data["national_id"])
        return Response({"references": list(subject.references)})


@extend_schema(tags=["audit"])
class AccessReportView(APIView):
    """The access report (innsynslogg) for the child of a referral: every read and write
    of the child's data, oldest first, by whom, in which agency, on what basis."""

    @extend_schema(parameters=[
        OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's next link."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="1-500, default 500."),
    ], responses=ReportPageSerializer)
    def get(self, request, reference: str):
        subject, page = access_report.access_report(user=request.user, reference=reference,
                                                cursor=request.query_params.get("cursor", ""),
                                                size=_size(request, 500))
        return Response({"reference": subject.reference, "references": list(subject.references),
                         "next": _next_url(request, page.next_cursor),
                         "results": ReportRowSerializer(page.rows, many=True).data})


@extend_schema(tags=["audit"])
class AccessReportExportView(APIView):
    """The whole access report as CSV (cells that a spreadsheet would run as a formula
    are neutralised). The export is audited."""

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request, reference: str):
        subject, rows = access_report.access_report_export(user=request.user, reference=reference)
        return csv_response(subject, rows)


@extend_schema(tags=["audit"])
class AnomalyListView(APIView):
    """Anomalies to work through: open (default), reviewed or all."""

    @extend_schema(parameters=[
        OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "reviewed", "all"]),
        OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's next link."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="1-500, default 50."),
    ], operation_id="audit_anomalies_list", responses=AnomalyPageSerializer)
    def get(self, request):
        page = selectors.anomaly_list(user=request.user, state=request.query_params.get("state", "open"),
                                      cursor=request.query_params.get("cursor", ""), size=_size(request, 50))
        return Response({"next": _next_url(request, page.next_cursor),
                         "results": AnomalySerializer(page.rows, many=True).data})


@extend_schema(tags=["audit"])
class AnomalyReviewView(APIView):
    """Mark an anomaly as reviewed, with a note. A second review answers 409."""

    @extend_schema(request=ReviewInputSerializer, responses={201: AnomalySerializer, 409: None})
    def post(self, request, anomaly_id: int):
        _scope, anomaly = selectors.access_anomaly(user=request.user, pk=anomaly_id, action="audit.anomaly_reviewed")
        data = ReviewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.anomaly_review(actor=request.user, anomaly=anomaly, note=data.validated_data["note"])
        anomaly = Anomaly.objects.select_related("agency", "review__reviewed_by").get(pk=anomaly.pk)
        return Response(AnomalySerializer(anomaly).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("events/", EventListView.as_view(), name="event-list"),
    path("events/<id:event_id>/", EventDetailView.as_view(), name="event-detail"),
    path("children/lookup/", ChildLookupView.as_view(), name="child-lookup"),
    path("children/<str:reference>/access-report/", AccessReportView.as_view(), name="access-report"),
    path("children/<str:reference>/access-report/export/", AccessReportExportView.as_view(),
         name="access-report-export"),
    path("anomalies/", AnomalyListView.as_view(), name="anomaly-list"),
    path("anomalies/<id:anomaly_id>/review/", AnomalyReviewView.as_view(), name="anomaly-review"),
]
