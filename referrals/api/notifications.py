"""The in-app inbox through the API: unread count, marking read, e-mail preferences."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..access import access_notification
from ..models import Notification
from ..services.inbox import preferences_for
from .serializers import NotificationSerializer


class PreferencesSerializer(serializers.Serializer):
    email_events = serializers.ListField(child=serializers.ChoiceField(choices=Notification.Event.choices),
                                         allow_empty=True, help_text="The events sent to you by e-mail.")
    daily_digest = serializers.BooleanField(help_text="One e-mail each morning with your unread counts.")


@extend_schema(tags=["notifications"])
class UnreadCountView(APIView):
    """How many delivered notifications you have not read."""

    @extend_schema(responses=inline_serializer("UnreadCount", {"unread": serializers.IntegerField()}))
    def get(self, request):
        return Response({"unread": selectors.unread_count(user=request.user)})


@extend_schema(tags=["notifications"])
class ReadView(APIView):
    """Mark one of your notifications read."""

    @extend_schema(request=None, responses=NotificationSerializer)
    def post(self, request, notification_id: int):
        notification = access_notification(user=request.user, notification_id=notification_id)
        notification = services.notification_mark_read(actor=request.user, notification=notification)
        return Response(NotificationSerializer(notification).data)


@extend_schema(tags=["notifications"])
class ReadAllView(APIView):
    """Mark all your notifications read."""

    @extend_schema(request=None, responses=inline_serializer("ReadAll", {"marked": serializers.IntegerField()}))
    def post(self, request):
        return Response({"marked": services.notification_mark_all_read(actor=request.user)})


@extend_schema(tags=["notifications"])
class PreferencesView(APIView):
    """Which events reach you by e-mail (the in-app inbox always gets all), and the
    optional daily digest."""

    @extend_schema(responses=PreferencesSerializer)
    def get(self, request):
        preference = preferences_for(request.user)
        return Response(PreferencesSerializer(preference).data)

    @extend_schema(request=PreferencesSerializer, responses=PreferencesSerializer)
    def put(self, request):
        data = PreferencesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        preference = services.notification_preferences_update(actor=request.user, **data.validated_data)
        return Response(PreferencesSerializer(preference).data)
