"""Break the glass through the API. The answer is the same whether or not the reference
exists (see referrals/services/access.py)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..models.access import (
    BREAK_GLASS_MAX_HOURS,
    BREAK_GLASS_MIN_HOURS,
    BREAK_GLASS_REASON_MAX_LENGTH,
    BREAK_GLASS_REASON_MIN_LENGTH,
)


class BreakGlassInputSerializer(serializers.Serializer):
    reference = serializers.CharField(max_length=32)
    reason = serializers.CharField(min_length=BREAK_GLASS_REASON_MIN_LENGTH, max_length=BREAK_GLASS_REASON_MAX_LENGTH)
    hours = serializers.IntegerField(min_value=BREAK_GLASS_MIN_HOURS, max_value=BREAK_GLASS_MAX_HOURS)


class BreakGlassSerializer(serializers.Serializer):
    reference = serializers.CharField()
    expires_at = serializers.DateTimeField()


@extend_schema(tags=["access"])
class BreakGlassView(APIView):
    """Ask for time-limited read access to a referral outside your scope, with a reason.
    Granted at once, audited and flagged, told to the owning agency and the auditors; it
    ends by itself. A reference that does not exist gets the same answer (no oracle)."""

    @extend_schema(request=BreakGlassInputSerializer, responses={201: BreakGlassSerializer, 403: None, 409: None})
    def post(self, request):
        data = BreakGlassInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reference, expires_at = services.break_glass_request(actor=request.user, **data.validated_data)
        return Response(BreakGlassSerializer({"reference": reference, "expires_at": expires_at}).data,
                        status=status.HTTP_201_CREATED)
