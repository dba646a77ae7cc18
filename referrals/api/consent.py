"""Consent and the disclosure log through the API: record a consent, list a referral's
consents, record a withdrawal; a referral's disclosure log and its CSV export."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import roles
from agencies.models import Agency

from .. import selectors, services
from ..access import access_consent, access_referral_for
from ..disclosure_export import csv_response
from ..models import Consent, Disclosure
from ..models.consent import TEXT_MAX_LENGTH


class AgencyRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Agency
        fields = ["id", "name", "kind"]


class ConsentInputSerializer(serializers.Serializer):
    referral = serializers.CharField(max_length=16, help_text="The referral's reference.")
    given_by = serializers.ChoiceField(choices=Consent.Giver.choices,
                                       help_text="From 15 the child; under 15 guardian 1 or 2.")
    child_view = serializers.ChoiceField(choices=Consent.View.choices, help_text="The child is heard.")
    child_view_note = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True,
                                            default="")
    guardians_view = serializers.ChoiceField(choices=Consent.View.choices, required=False,
                                             default=Consent.View.NOT_ASKED,
                                             help_text="When the child (15 or older) consents.")
    recipients = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.filter(is_active=True), many=True,
                                                    allow_empty=False)
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=Consent.Purpose.choices), min_length=1,
                                     max_length=len(Consent.Purpose.values))
    form = serializers.ChoiceField(choices=Consent.Form.choices)
    valid_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)


class WithdrawInputSerializer(serializers.Serializer):
    withdrawn_by = serializers.ChoiceField(choices=Consent.Giver.choices)
    note = serializers.CharField(max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default="")


class ConsentSerializer(serializers.ModelSerializer):
    referral = serializers.CharField(source="referral.reference")
    agency = AgencyRefSerializer()
    recipients = AgencyRefSerializer(many=True)
    recorded_by = serializers.CharField(source="recorded_by.username")
    withdrawal_recorded_by = serializers.CharField(source="withdrawal_recorded_by.username", default=None)
    state = serializers.ChoiceField(choices=["valid", "not_yet_valid", "expired", "withdrawn"])
    conflict = serializers.BooleanField(source="has_conflict",
                                        help_text="The child and the guardians disagree.")

    class Meta:
        model = Consent
        fields = ["reference", "referral", "agency", "given_by", "child_age", "child_view", "child_view_note",
                  "guardians_view", "conflict", "recipients", "purposes", "form", "recorded_by", "recorded_at",
                  "valid_from", "valid_until", "state", "withdrawn_at", "withdrawn_by", "withdrawal_recorded_by",
                  "withdrawal_note", "ended_at"]
        read_only_fields = fields


class DisclosureSerializer(serializers.ModelSerializer):
    sending_agency = AgencyRefSerializer()
    recipient = AgencyRefSerializer()
    legal_basis = serializers.CharField(source="legal_basis.code")
    law_reference = serializers.CharField(source="legal_basis.law_reference")
    consent = serializers.CharField(source="consent.reference", default=None)
    approved_by = serializers.CharField(source="approved_by.username")
    handover = serializers.CharField(source="handover.reference", default=None)

    class Meta:
        model = Disclosure
        fields = ["id", "created_at", "kind", "sending_agency", "recipient", "scope", "purpose", "legal_basis",
                  "law_reference", "consent", "override", "override_reason", "approved_by", "handover"]
        read_only_fields = fields


@extend_schema(tags=["consent"])
class ConsentListCreateView(APIView):
    """A referral's consents (GET, `referral` required), for coordinators of an agency it is
    routed to; record a consent (POST). The age rule: from 15 the child gives it, under 15
    a guardian, and the child's own view is always recorded."""

    @extend_schema(parameters=[OpenApiParameter("referral", OpenApiTypes.STR, required=True,
                                                description="The referral's reference.")],
                   responses=ConsentSerializer(many=True))
    def get(self, request):
        reference = request.query_params.get("referral", "")
        if not reference:
            raise serializers.ValidationError({"referral": ["Give the referral's reference."]})
        _referral, _membership, consents = selectors.consents_of_referral(user=request.user, reference=reference)
        return Response(ConsentSerializer(consents, many=True).data)

    @extend_schema(request=ConsentInputSerializer, responses={201: ConsentSerializer, 409: None})
    def post(self, request):
        data = ConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        referral, _membership = access_referral_for(user=request.user, reference=values.pop("referral"),
                                                    action="consent.record", permission=roles.MANAGE_CONSENT)
        consent = services.consent_record(actor=request.user, referral=referral, **values)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["consent"])
class ConsentWithdrawView(APIView):
    """Record that the child or a guardian withdrew the consent. Nothing more leaves under
    it; handovers that relied only on it close to the receiving agency, which is told."""

    @extend_schema(request=WithdrawInputSerializer, responses={200: ConsentSerializer, 409: None})
    def post(self, request, reference: str):
        consent, _membership = access_consent(user=request.user, reference=reference, action="consent.withdraw")
        data = WithdrawInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_withdraw(actor=request.user, consent=consent, **data.validated_data)
        return Response(ConsentSerializer(consent).data)


@extend_schema(tags=["consent"])
class DisclosureListView(APIView):
    """The disclosure log of a referral: who received what, when, on which legal basis or
    consent, approved by whom, and overrides. For coordinators and auditors of an agency
    the referral is routed to; the read is audited."""

    @extend_schema(responses=DisclosureSerializer(many=True))
    def get(self, request, reference: str):
        _referral, _membership, rows = selectors.disclosure_log(user=request.user, reference=reference)
        return Response(DisclosureSerializer(rows, many=True).data)


@extend_schema(tags=["consent"])
class DisclosureExportView(APIView):
    """The disclosure log as CSV (cells a spreadsheet would run as a formula are
    neutralised). The export is audited."""

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request, reference: str):
        referral, _membership, rows = selectors.disclosure_log(user=request.user, reference=reference,
                                                               action="disclosure.log_exported")
        return csv_response(referral, rows)
