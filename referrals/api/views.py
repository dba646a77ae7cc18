from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import roles

from .. import selectors, services
from ..access import access_referral
from .. import queue
from ..models import Category, DutyTrigger, Indicator, Platform, Referral
from .serializers import (
    QueuePageSerializer,
    QueueRowSerializer,
    AddendumInputSerializer,
    AddendumSerializer,
    CategorySerializer,
    NotificationSerializer,
    ReferralCoordinatorSerializer,
    ReferralCreateSerializer,
    ReferralInputSerializer,
    ReferralListSerializer,
    ReferralSerializer,
)


class FiledPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 25


def reporting_agency_for(user, requested):
    if requested is not None:
        return requested
    agencies = {m.agency for m in roles.memberships_for(user, roles.FILE_REFERRAL)}
    if len(agencies) == 1:
        return agencies.pop()
    raise ValidationError({"reporting_agency": _("Choose the agency you report for.")})


def referral_response(user, reference: str, *, status_code=status.HTTP_200_OK) -> Response:
    """The audited read of a referral, shaped for the reader: reporters see what they
    filed; receiving agencies also see possible matches and identifier links."""
    referral, grant = selectors.referral_detail(user=user, reference=reference)
    if grant.role == roles.Role.REPORTER:
        return Response(ReferralSerializer(referral).data, status=status_code)
    context = {
        "matches": selectors.match_suggestions(user=user, referral=referral, grant=grant),
        "links": selectors.identifier_links(user=user, referral=referral, grant=grant),
    }
    return Response(ReferralCoordinatorSerializer(referral, context=context).data, status=status_code)


@extend_schema(tags=["referrals"])
class ReferralListCreateView(generics.GenericAPIView):
    """The queue of referrals routed to one of your agencies (GET), and filing (POST)."""

    def get_serializer_class(self):
        return ReferralCreateSerializer if self.request.method == "POST" else ReferralListSerializer

    @extend_schema(
        operation_id="v1_referrals_list",
        parameters=[
            OpenApiParameter("queue", OpenApiTypes.INT, description="Which of your agencies' queues (default: the first)."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=list(Referral.Status.values),
                             description="Left out: any open status."),
            OpenApiParameter("category", OpenApiTypes.STR, description="Category code A-F."),
            OpenApiParameter("deadline", OpenApiTypes.STR, enum=list(queue.DEADLINE_STATES),
                             description="Left out: any."),
            OpenApiParameter("municipality", OpenApiTypes.STR, description="The child's municipality number."),
            OpenApiParameter("caseworker", OpenApiTypes.STR, description="A user id, or none."),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's next link."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="1-100, default 25."),
        ],
        responses=QueuePageSerializer,
    )
    def get(self, request):
        params = request.query_params
        agency_param = params.get("queue", params.get("agency"))
        try:
            agency_id = int(agency_param) if agency_param is not None else None
            size = int(params.get("page_size", 25))
        except ValueError:
            raise serializers.ValidationError({"queue": [_("Give whole numbers for queue and page_size.")]})
        membership = selectors.queue_membership(request.user, agency_id)
        filters = queue.Filters.from_params(params)
        result = selectors.queue_page(user=request.user, membership=membership, filters=filters,
                                      cursor=params.get("cursor", ""), size=size)
        next_url = None
        if result.next_cursor:
            query = params.copy()
            query["cursor"] = result.next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return Response({
            "queue": membership.agency_id,
            "next": next_url,
            "counts": result.counts,
            "results": QueueRowSerializer(result.rows, many=True, context={"now": timezone.now()}).data,
        })

    @extend_schema(request=ReferralCreateSerializer, responses={201: ReferralSerializer})
    def post(self, request):
        data = ReferralCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agency = reporting_agency_for(request.user, data.validated_data["reporting_agency"])
        if data.validated_data["submit"]:
            referral = services.referral_file(actor=request.user, reporting_agency=agency,
                                              data=data.to_referral_data())
        else:
            referral = services.referral_draft_create(actor=request.user, reporting_agency=agency,
                                                      data=data.to_referral_data())
        # What the reporter just wrote comes back to them; the submit event covers it.
        referral = selectors.with_contents(type(referral).objects).get(pk=referral.pk)
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["referrals"])
class FiledReferralListView(generics.ListAPIView):
    """Referrals you filed yourself, drafts included."""

    serializer_class = ReferralListSerializer
    pagination_class = FiledPagination

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.referrals_filed_by(user=request.user))
        selectors.audit_list_read(user=request.user, referrals=page, agency=None,
                                  role=roles.Role.REPORTER, action="referral.listed_own")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["referrals"])
class ReferralDetailView(generics.GenericAPIView):
    """One referral. A referral you may not see answers 404, like one that does not exist.
    PUT replaces a draft's content (the reporter only, while it is a draft)."""

    serializer_class = ReferralCoordinatorSerializer
    lookup_field = "reference"

    def get(self, request, reference: str):
        return referral_response(request.user, reference)

    @extend_schema(request=ReferralInputSerializer, responses={200: ReferralSerializer, 409: None})
    def put(self, request, reference: str):
        referral, _grant = access_referral(user=request.user, reference=reference, action="referral.update")
        data = ReferralInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.referral_draft_update(actor=request.user, referral=referral, data=data.to_referral_data())
        return referral_response(request.user, reference)


@extend_schema(tags=["referrals"])
class ReferralSubmitView(APIView):
    """Submit a draft: it is checked for completeness, routed, and the agencies are told."""

    @extend_schema(request=None, responses={200: ReferralSerializer, 409: None})
    def post(self, request, reference: str):
        referral, _grant = access_referral(user=request.user, reference=reference, action="referral.submit")
        services.referral_submit(actor=request.user, referral=referral)
        return referral_response(request.user, reference)


@extend_schema(tags=["referrals"])
class AddendumCreateView(APIView):
    """Add information to a submitted referral (the reporter only)."""

    @extend_schema(request=AddendumInputSerializer, responses={201: AddendumSerializer, 409: None})
    def post(self, request, reference: str):
        referral, _grant = access_referral(user=request.user, reference=reference, action="referral.addendum")
        data = AddendumInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        addendum = services.referral_add_addendum(actor=request.user, referral=referral,
                                                  text=data.validated_data["text"])
        return Response(AddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["referrals"])
class TaxonomyView(APIView):
    """The concern taxonomy: categories with their indicators, § 13-2 triggers, platforms."""

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        categories = Category.objects.prefetch_related("indicators").order_by("code")
        return Response({
            "categories": CategorySerializer(categories, many=True).data,
            "duty_triggers": [{"code": c, "text": str(label)} for c, label in DutyTrigger.choices],
            "platforms": [{"code": c, "text": str(label)} for c, label in Platform.choices],
            "indicator_count": Indicator.objects.filter(is_active=True).count(),
        })


@extend_schema(tags=["notifications"])
class NotificationListView(generics.ListAPIView):
    """Your in-app inbox."""

    serializer_class = NotificationSerializer
    pagination_class = FiledPagination

    def get_queryset(self):
        return selectors.inbox(user=self.request.user)
