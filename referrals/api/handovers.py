"""Handovers through the API: send, the inbox and the sent list, acknowledge, accept,
decline, revoke, the message thread; and acknowledging a routed referral."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies.models import Agency

from .. import selectors, services
from ..access import access_handover, access_referral
from ..models import Consent, Handover, HandoverMessage, LegalBasis, Urgency
from ..models.consent import TEXT_MAX_LENGTH as OVERRIDE_REASON_MAX_LENGTH
from ..models.handover import TEXT_MAX_LENGTH
from ..services.handovers import EXTERNAL_REFERENCE_MAX_LENGTH


class DisclosureInputSerializer(serializers.Serializer):
    """What every disclosure sent through the API names besides its recipient and basis: the
    parts disclosed, and the override of a missing consent (checked on the server)."""

    scope = serializers.ListField(child=serializers.ChoiceField(choices=Handover.Scope.choices), min_length=1,
                                  max_length=len(Handover.Scope.values),
                                  help_text="The parts of the referral disclosed; everything else stays hidden.")
    override = serializers.BooleanField(
        required=False, default=False,
        help_text="Disclose although no consent covers it. Only for someone whose role allows overriding "
                  "(checked on the server); needs override_reason; flagged for auditors.")
    override_reason = serializers.CharField(max_length=OVERRIDE_REASON_MAX_LENGTH, required=False,
                                            allow_blank=True, default="")


class HandoverInputSerializer(DisclosureInputSerializer):
    referral = serializers.CharField(max_length=16, help_text="The referral's reference.")
    receiving_agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.filter(is_active=True))
    type = serializers.ChoiceField(choices=Handover.Type.choices)
    legal_basis = serializers.SlugRelatedField(slug_field="code", queryset=LegalBasis.objects.all())
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_null=True, default=None,
                                      help_text="Default: the referral's urgency. Sets the acknowledgement deadline.")
    message = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")
    consent = serializers.SlugRelatedField(
        slug_field="reference", queryset=Consent.objects.all(), required=False, allow_null=True, default=None,
        help_text="On the consent basis: the consent relied on (default: a valid one covering the receiver and "
                  "the purpose, which is the handover's type).")


class AgencySummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "kind"]


class HandoverSerializer(serializers.ModelSerializer):
    referral = serializers.CharField(source="referral.reference")
    type_text = serializers.CharField(source="get_type_display")
    status_text = serializers.CharField(source="get_status_display")
    sending_agency = AgencySummarySerializer()
    receiving_agency = AgencySummarySerializer()
    legal_basis = serializers.CharField(source="legal_basis.code")
    legal_reference = serializers.CharField(source="legal_basis.law_reference")
    created_by = serializers.CharField(source="created_by.username")
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", default=None)
    consent = serializers.CharField(source="consent.reference", default=None)

    class Meta:
        model = Handover
        fields = ["reference", "referral", "type", "type_text", "status", "status_text", "sending_agency",
                  "receiving_agency", "legal_basis", "legal_reference", "scope", "urgency", "created_by",
                  "created_at", "acknowledge_by", "acknowledged_at", "acknowledged_by", "external_reference",
                  "answered_at", "decline_reason", "revoked_at", "revoke_reason", "escalation_level", "consent",
                  "access_ended_at"]
        read_only_fields = fields


class DisclosedSerializer(serializers.Serializer):
    """Only the parts in the handover's scope are present."""

    identity = serializers.JSONField(required=False, help_text="Name, date of birth, municipality, school …")
    categories_and_indicators = serializers.JSONField(required=False)
    narrative = serializers.JSONField(required=False, help_text="What was observed, and the addenda.")
    identifiers = serializers.JSONField(required=False, help_text="Identifiers and people of concern.")
    attachments = serializers.ListField(child=serializers.JSONField(), required=False)
    notes = serializers.ListField(child=serializers.JSONField(), required=False,
                                  help_text="The sending agency's internal notes.")


class HandoverMessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username")
    agency = serializers.CharField(source="agency.name")

    class Meta:
        model = HandoverMessage
        fields = ["id", "author", "agency", "text", "created_at"]
        read_only_fields = fields


class HandoverDetailSerializer(HandoverSerializer):
    side = serializers.ChoiceField(choices=["sender", "receiver"])
    message = serializers.CharField()
    disclosed = DisclosedSerializer()
    messages = HandoverMessageSerializer(many=True, source="messages_list")

    class Meta(HandoverSerializer.Meta):
        fields = [*HandoverSerializer.Meta.fields, "side", "message", "disclosed", "messages"]
        read_only_fields = fields


class AcknowledgeInputSerializer(serializers.Serializer):
    external_reference = serializers.CharField(max_length=EXTERNAL_REFERENCE_MAX_LENGTH,
                                               help_text="Your own reference, e.g. the police case number.")


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class OptionalReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")


class MessageInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=TEXT_MAX_LENGTH)


class HandoverPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 25


def detail_response(user, reference: str, *, status_code=status.HTTP_200_OK) -> Response:
    read = selectors.handover_detail(user=user, reference=reference)
    handover = read.handover
    handover.side, handover.disclosed, handover.messages_list = read.side, read.disclosed, read.messages
    data = HandoverDetailSerializer(handover).data
    return Response(data, status=status_code)


@extend_schema(tags=["handovers"])
class HandoverListCreateView(APIView):
    """Your agencies' handovers: received (the inbox; by default those awaiting
    acknowledgement) or sent (GET); hand a referral over to another agency (POST)."""

    @extend_schema(
        operation_id="v1_handovers_list",
        parameters=[
            OpenApiParameter("box", OpenApiTypes.STR, enum=["received", "sent"], description="Default: received."),
            OpenApiParameter("status", OpenApiTypes.STR, enum=[*Handover.Status.values, "all"],
                             description="Default: pending in the received box, all in the sent box."),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's next link."),
        ],
        responses=inline_serializer("HandoverPage", fields={
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": HandoverSerializer(many=True),
        }),
    )
    def get(self, request):
        box = request.query_params.get("box", "received")
        if box not in ("received", "sent"):
            raise serializers.ValidationError({"box": ["received or sent"]})
        status_param = request.query_params.get("status", "pending" if box == "received" else "all")
        if status_param not in [*Handover.Status.values, "all"]:
            raise serializers.ValidationError({"status": ["Unknown status."]})
        queryset = selectors.handover_list(user=request.user, box=box,
                                           status=None if status_param == "all" else status_param)
        paginator = HandoverPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        selectors.audit_handover_list(user=request.user, handovers=page)
        return paginator.get_paginated_response(HandoverSerializer(page, many=True).data)

    @extend_schema(request=HandoverInputSerializer, responses={201: HandoverDetailSerializer, 409: None})
    def post(self, request):
        data = HandoverInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        referral, _grant = access_referral(user=request.user, reference=values.pop("referral"),
                                           action="handover.create")
        handover = services.handover_create(actor=request.user, referral=referral, **values)
        return detail_response(request.user, handover.reference, status_code=status.HTTP_201_CREATED)


@extend_schema(tags=["handovers"])
class HandoverDetailView(APIView):
    """One handover: its state, the parts of the referral it discloses (only those), and
    the message thread. The read is audited."""

    @extend_schema(responses=HandoverDetailSerializer)
    def get(self, request, reference: str):
        return detail_response(request.user, reference)


def _handover(request, reference: str, action: str) -> Handover:
    handover, _membership, _side = access_handover(user=request.user, reference=reference, action=action)
    return handover


@extend_schema(tags=["handovers"])
class HandoverAcknowledgeView(APIView):
    """The receiving agency confirms the handover arrived, with its own reference (for
    example the police case number). Only from pending; otherwise 409."""

    @extend_schema(request=AcknowledgeInputSerializer, responses={200: HandoverSerializer, 409: None})
    def post(self, request, reference: str):
        handover = _handover(request, reference, "handover.acknowledge")
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.handover_acknowledge(actor=request.user, handover=handover, **data.validated_data)
        return Response(HandoverSerializer(handover).data)


@extend_schema(tags=["handovers"])
class HandoverAcceptView(APIView):
    """The receiving agency takes the handover on. Only once acknowledged; otherwise 409."""

    @extend_schema(request=None, responses={200: HandoverSerializer, 409: None})
    def post(self, request, reference: str):
        handover = _handover(request, reference, "handover.accept")
        return Response(HandoverSerializer(services.handover_accept(actor=request.user, handover=handover)).data)


@extend_schema(tags=["handovers"])
class HandoverDeclineView(APIView):
    """The receiving agency declines the handover, with a reason. Only once acknowledged."""

    @extend_schema(request=ReasonInputSerializer, responses={200: HandoverSerializer, 409: None})
    def post(self, request, reference: str):
        handover = _handover(request, reference, "handover.decline")
        data = ReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.handover_decline(actor=request.user, handover=handover, **data.validated_data)
        return Response(HandoverSerializer(handover).data)


@extend_schema(tags=["handovers"])
class HandoverRevokeView(APIView):
    """The sending agency withdraws the handover while it is still pending."""

    @extend_schema(request=OptionalReasonInputSerializer, responses={200: HandoverSerializer, 409: None})
    def post(self, request, reference: str):
        handover = _handover(request, reference, "handover.revoke")
        data = OptionalReasonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        handover = services.handover_revoke(actor=request.user, handover=handover, **data.validated_data)
        return Response(HandoverSerializer(handover).data)


@extend_schema(tags=["handovers"])
class HandoverMessagesView(APIView):
    """The message thread on a handover (asking for more information, and the answers).
    Either side may write; the other side is notified."""

    @extend_schema(responses=HandoverMessageSerializer(many=True))
    def get(self, request, reference: str):
        read = selectors.handover_detail(user=request.user, reference=reference)
        return Response(HandoverMessageSerializer(read.messages, many=True).data)

    @extend_schema(request=MessageInputSerializer, responses={201: HandoverMessageSerializer, 409: None})
    def post(self, request, reference: str):
        handover = _handover(request, reference, "handover.message")
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.handover_message_post(actor=request.user, handover=handover, **data.validated_data)
        return Response(HandoverMessageSerializer(message).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["referrals"])
class RoutingAcknowledgeView(APIView):
    """Your agency confirms that a referral routed to it arrived. Until an agency
    acknowledges (or decides), the routing escalates."""

    @extend_schema(request=None, responses={200: inline_serializer("RoutingAcknowledged", {
        "reference": serializers.CharField(), "agency": serializers.IntegerField(),
        "acknowledged_at": serializers.DateTimeField()}), 409: None})
    def post(self, request, reference: str):
        referral, _grant = access_referral(user=request.user, reference=reference, action="routing.acknowledge")
        routing = services.routing_acknowledge(actor=request.user, referral=referral)
        return Response({"reference": referral.reference, "agency": routing.agency_id,
                         "acknowledged_at": routing.acknowledged_at})
