from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from audit.recorder import record
from config.parsers import SafeJSONParser

from . import two_factor


class TokenInputSerializer(AuthTokenSerializer):
    otp_token = serializers.RegexField(
        r"^\s*\d{6}\s*$", required=False, allow_blank=True, default="", write_only=True,
        help_text=_("The one-time code from your authenticator app (every role but reporter)."))


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


@extend_schema(tags=["auth"])
class TokenView(ObtainAuthToken):
    """Exchange a user name, password and (for everyone who must use two factors) a
    one-time code for an API token. Failed attempts are audited (authenticate() signals
    them, and a wrong code is an event too); an issued token is audited too. Rate limited
    per client IP (throttle scope "token", SAMVIRKE_API_RATE_TOKEN)."""

    parser_classes = [SafeJSONParser, FormParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    serializer_class = TokenInputSerializer

    @extend_schema(request=TokenInputSerializer, responses={200: TokenSerializer, 400: None, 429: None})
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        valid = serializer.is_valid()
        # django-axes marks the request it was given (DRF's, not the one its middleware
        # sees) when this user name and address are locked out: answer as the pages do.
        if getattr(request, "axes_locked_out", False):
            return Response({"detail": _("Too many failed sign-ins. Try again later.")},
                            status=status.HTTP_429_TOO_MANY_REQUESTS)
        if not valid:
            raise serializers.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        if two_factor.required_for(user):
            if two_factor.confirmed_device(user) is None:
                raise serializers.ValidationError({"otp_token": [
                    _("Set up two-factor sign-in in the web pages first.")]})
            code = serializer.validated_data["otp_token"].strip()
            if not code or two_factor.otp_check(actor=user, token=code) is None:
                raise serializers.ValidationError({"otp_token": [
                    _("Give the current one-time code from your authenticator app.")]})
        with transaction.atomic():
            token, _created = Token.objects.get_or_create(user=user)
            record(action="auth.token_issued", actor=user, target=user)
        return Response({"token": token.key})
