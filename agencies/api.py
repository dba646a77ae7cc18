from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from audit.recorder import record
from config.parsers import SafeJSONParser


@extend_schema(tags=["auth"])
class TokenView(ObtainAuthToken):
    """Exchange a user name and password for an API token. Failed attempts are audited
    (authenticate() signals them); an issued token is audited too. Rate limited per client
    IP (throttle scope "token", SAMVIRKE_API_RATE_TOKEN)."""

    parser_classes = [SafeJSONParser, FormParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        with transaction.atomic():
            token, _created = Token.objects.get_or_create(user=user)
            record(action="auth.token_issued", actor=user, target=user)
        return Response({"token": token.key})
