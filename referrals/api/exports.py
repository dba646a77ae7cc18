"""Exporting case data to another agency through the API: the chosen parts of a referral as
a JSON document, recorded as a disclosure (kind "export") in the referral's disclosure log."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agencies import roles
from agencies.models import Agency

from .. import services
from ..access import access_referral_for
from ..models import Consent, LegalBasis
from .consent import DisclosureSerializer
from .handovers import DisclosedSerializer, DisclosureInputSerializer


class ExportInputSerializer(DisclosureInputSerializer):
    recipient = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.filter(is_active=True),
                                                   help_text="The id of the agency that receives the export.")
    legal_basis = serializers.SlugRelatedField(slug_field="code", queryset=LegalBasis.objects.all(),
                                               help_text="The code of the legal basis the export relies on.")
    purpose = serializers.ChoiceField(choices=Consent.Purpose.choices,
                                      help_text="What the recipient does with it (a consent names the same).")
    consent = serializers.SlugRelatedField(
        slug_field="reference", queryset=Consent.objects.none(), required=False, allow_null=True, default=None,
        help_text="On the consent basis: the consent relied on, one of this referral's (default: a valid one "
                  "covering the recipient and the purpose).")

    def __init__(self, *args, referral=None, **kwargs):
        super().__init__(*args, **kwargs)
        if referral is not None:
            # Only this referral's consents can be named: another's answers like a missing one.
            self.fields["consent"].queryset = Consent.objects.filter(referral=referral)


class ExportSerializer(serializers.Serializer):
    """The export document: its header (the disclosure record) and the disclosed parts only."""

    referral = serializers.CharField(help_text="The referral's reference.")
    disclosure = DisclosureSerializer(help_text="Who sent it to whom, when, on which legal basis or consent, "
                                                "whether a missing consent was overridden, approved by whom.")
    disclosed = DisclosedSerializer(help_text="Only the parts in the export's scope are present.")


@extend_schema(tags=["consent"])
class ReferralExportView(APIView):
    """Export chosen parts of a referral for another agency, as a JSON document (a
    download). For coordinators of an agency the referral is routed to. Like every
    disclosure it names a legal basis usable for the recipient, or a valid consent covering
    the recipient and the purpose, or overrides the missing consent (agency administrators,
    with a reason); it is refused with 400 saying what is missing. The export is recorded
    in the disclosure log (kind "export") and audited."""

    @extend_schema(
        request=ExportInputSerializer,
        responses={201: ExportSerializer},
        parameters=[OpenApiParameter(
            "Content-Disposition", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[201],
            description="attachment; the file name is the referral's reference and the disclosure's id.")],
    )
    def post(self, request, reference: str):
        referral, _membership = access_referral_for(user=request.user, reference=reference,
                                                    action="referral.export", permission=roles.SEND_HANDOVER)
        data = ExportInputSerializer(data=request.data, referral=referral)
        data.is_valid(raise_exception=True)
        export = services.referral_export(actor=request.user, referral=referral, **data.validated_data)
        body = ExportSerializer({"referral": referral.reference, "disclosure": export.disclosure,
                                 "disclosed": export.parts}).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Content-Disposition"] = f'attachment; filename="{export.name}.json"'
        response["Cache-Control"] = "no-store"
        return response
