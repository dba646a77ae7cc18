"""Consent and the disclosure log through the API: record a consent, list a referral's
consents, record a withdrawal, download a consent's document; a referral's disclosure log
and its CSV export. The API takes JSON only: a document is uploaded on the consent page."""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import roles
from agencies.models import Agency

from .. import selectors, services
from ..access import access_consent, access_referral, access_referral_for
from ..disclosure_export import csv_response
from ..documents import DOCUMENT_KINDS, download_response
from ..models import Consent, Disclosure
from ..models.consent import TEXT_MAX_LENGTH
from .serializers import FilingConsentInputSerializer


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
    has_document = serializers.BooleanField(help_text="A scan or photo of the written consent is attached.")
    document_type = serializers.CharField(help_text="The document's content type (empty without one).")
    document_sha256 = serializers.CharField(help_text="The document's SHA-256, hex (empty without one).")
    document_url = serializers.SerializerMethodField(
        help_text="Where to download the document (null without one).")

    class Meta:
        model = Consent
        fields = ["reference", "referral", "agency", "given_by", "child_age", "child_view", "child_view_note",
                  "guardians_view", "conflict", "recipients", "purposes", "form", "recorded_by", "recorded_at",
                  "valid_from", "valid_until", "state", "withdrawn_at", "withdrawn_by", "withdrawal_recorded_by",
                  "withdrawal_note", "ended_at", "has_document", "document_type", "document_sha256",
                  "document_url"]
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_document_url(self, consent: Consent) -> str | None:
        if not consent.document:
            return None
        path = reverse("referrals-api:consent-document", args=[consent.reference])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path


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
        return Response(ConsentSerializer(consents, many=True, context={"request": request}).data)

    @extend_schema(request=ConsentInputSerializer, responses={201: ConsentSerializer, 409: None})
    def post(self, request):
        data = ConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        referral, _membership = access_referral_for(user=request.user, reference=values.pop("referral"),
                                                    action="consent.record", permission=roles.MANAGE_CONSENT)
        consent = services.consent_record(actor=request.user, referral=referral, **values)
        return Response(ConsentSerializer(consent, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


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
        return Response(ConsentSerializer(consent, context={"request": request}).data)


class _AnyAccept(DefaultContentNegotiation):
    """A download answers whatever the client accepts (a file is not rendered; an error is
    JSON), rather than 406 to a client asking for application/pdf."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


@extend_schema(tags=["consent"])
class ConsentDocumentView(APIView):
    """The document of a consent (a scan or photo of the written consent), for coordinators
    of an agency its referral is routed to. Served as an attachment named after the
    consent, in the content type its first bytes showed. The read is audited; for anyone
    else the consent answers 404, and the attempt is audited."""

    content_negotiation_class = _AnyAccept

    @extend_schema(responses={
        **{(200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The document.")
           for content_type, _extension, _magic in DOCUMENT_KINDS},
        404: OpenApiResponse(description="No such consent, no document on it, or not visible to you."),
    })
    def get(self, request, reference: str):
        consent, handle = selectors.consent_document(user=request.user, reference=reference)
        return download_response(consent, handle)


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


@extend_schema(tags=["consent"])
class ReporterConsentView(APIView):
    """The reporter records a consent obtained after filing. It names the agencies that
    received the concern without the child's identity (for the routing purpose) and shows
    them who the child is; 409 when every agency already does."""

    @extend_schema(request=FilingConsentInputSerializer, responses={201: ConsentSerializer})
    def post(self, request, reference: str):
        referral, _grant = access_referral(user=request.user, reference=reference, action="consent.record")
        data = FilingConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = services.consent_record_by_reporter(actor=request.user, referral=referral, **data.validated_data)
        return Response(ConsentSerializer(consent, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)
