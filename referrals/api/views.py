from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from agencies import roles

from .. import selectors, services
from .serializers import (
    NotificationSerializer,
    ReferralCreateSerializer,
    ReferralListSerializer,
    ReferralSerializer,
)


class QueuePagination(CursorPagination):
    ordering = ("urgency", "submitted_at", "id")
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"


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


@extend_schema(tags=["referrals"])
class ReferralListCreateView(generics.GenericAPIView):
    """The queue of referrals routed to one of your agencies (GET), and filing a referral (POST)."""

    pagination_class = QueuePagination

    def get_serializer_class(self):
        return ReferralCreateSerializer if self.request.method == "POST" else ReferralListSerializer

    @extend_schema(
        parameters=[OpenApiParameter("agency", OpenApiTypes.INT, description="Which of your agencies' queues (default: the first).")],
        responses=ReferralListSerializer(many=True),
    )
    def get(self, request):
        agency_param = request.query_params.get("agency")
        try:
            agency_id = int(agency_param) if agency_param else None
        except ValueError:
            raise serializers.ValidationError({"agency": [_("Give an agency id (a whole number).")]})
        membership = selectors.queue_membership(request.user, agency_id)
        page = self.paginate_queryset(selectors.referral_queue(agency=membership.agency))
        selectors.audit_list_read(user=request.user, referrals=page, agency=membership.agency,
                                  role=membership.role, action="referral.listed")
        return self.get_paginated_response(ReferralListSerializer(page, many=True).data)

    @extend_schema(request=ReferralCreateSerializer, responses={201: ReferralSerializer})
    def post(self, request):
        data = ReferralCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        referral = services.referral_submit(
            actor=request.user,
            reporting_agency=reporting_agency_for(request.user, v["reporting_agency"]),
            child=services.ChildData(**v["child"]),
            category=v["category"],
            concern=v["concern"],
        )
        # What the reporter just wrote comes back to them; the submit event covers it.
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["referrals"])
class FiledReferralListView(generics.ListAPIView):
    """Referrals you filed yourself."""

    serializer_class = ReferralListSerializer
    pagination_class = FiledPagination

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.referrals_filed_by(user=request.user))
        selectors.audit_list_read(user=request.user, referrals=page, agency=None,
                                  role=roles.Role.REPORTER, action="referral.listed_own")
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["referrals"])
class ReferralDetailView(generics.GenericAPIView):
    """One referral. A referral you may not see answers 404, like one that does not exist."""

    serializer_class = ReferralSerializer
    lookup_field = "reference"

    def get(self, request, reference: str):
        referral, _grant = selectors.referral_detail(user=request.user, reference=reference)
        return Response(ReferralSerializer(referral).data)


@extend_schema(tags=["notifications"])
class NotificationListView(generics.ListAPIView):
    """Your in-app inbox."""

    serializer_class = NotificationSerializer
    pagination_class = FiledPagination

    def get_queryset(self):
        return selectors.inbox(user=self.request.user)
