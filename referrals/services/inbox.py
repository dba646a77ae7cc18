from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from audit.recorder import record

from ..models import Notification


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
        record(action="notification.read", actor=actor, target=notification)
    return notification
