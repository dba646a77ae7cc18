from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.recorder import record

from ..models import Notification, NotificationPreference


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
        record(action="notification.read", actor=actor, target=notification)
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor) -> int:
    count = Notification.objects.filter(recipient=actor, delivered_at__isnull=False, read_at__isnull=True).update(
        read_at=timezone.now())
    if count:
        record(action="notification.read_all", actor=actor, target_type="agencies.user", target_id=actor.pk,
               changes={"count": count})
    return count


def preferences_for(user) -> NotificationPreference:
    """A person's preferences; until they choose, every event goes by e-mail, no digest."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user, email_events=list(Notification.Event.values))


@transaction.atomic
def notification_preferences_update(*, actor, email_events, daily_digest: bool) -> NotificationPreference:
    events = list(dict.fromkeys(email_events or []))
    unknown = [e for e in events if e not in Notification.Event.values]
    if unknown:
        raise ValidationError({"email_events": [_("Unknown event: %(event)s") % {"event": unknown[0][:64]}]})
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=actor, defaults={"email_events": list(Notification.Event.values)})
    before = {"email_events": preference.email_events, "daily_digest": preference.daily_digest}
    preference.email_events = [e for e in Notification.Event.values if e in events]
    preference.daily_digest = bool(daily_digest)
    preference.save()
    record(action="notification.preferences_updated", actor=actor, target=preference,
           changes={"before": before, "after": {"email_events": preference.email_events,
                                                "daily_digest": preference.daily_digest}})
    return preference
