"""Writing to the notification outbox. Called by services inside their transaction."""

import logging
from functools import partial

from django.db import transaction

from agencies import roles
from agencies.models import Agency, Membership

from .models import Notification, Referral


def recipients_for_routing(agency: Agency):
    """Who is told that a referral reached an agency: its coordinators (liaisons at police
    and immigration), as the role matrix says."""
    return (
        Membership.objects.filter(
            agency=agency, is_active=True, user__is_active=True,
            role__in=roles.roles_for(roles.RECEIVE_ROUTING_NOTICE),
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def recipients_for_break_glass(referral: Referral, requester_agency: Agency):
    """Who hears that someone broke the glass: the coordinators and auditors of the agencies
    the referral is routed to, and the auditors of the requester's agency."""
    notice = roles.roles_for(roles.RECEIVE_BREAK_GLASS_NOTICE)
    owning = Membership.objects.filter(agency__routings__referral=referral, role__in=notice)
    requester_side = Membership.objects.filter(agency=requester_agency, role=Membership.Role.AUDITOR)
    return (
        (owning | requester_side).filter(is_active=True, user__is_active=True)
        .values_list("user_id", flat=True).distinct()
    )


logger = logging.getLogger(__name__)


def enqueue_delivery(notification_id: int) -> None:
    """After commit: hand one outbox row to the broker. If the broker is unreachable at
    this moment, the change is committed all the same and the row waits in the outbox:
    the sweep enqueues it once the broker is back. The request does not fail."""
    from .tasks import deliver_notification

    try:
        deliver_notification.delay(notification_id)
    except Exception as exc:  # kombu raises several kinds of connection errors
        logger.warning("broker unreachable, notification %s left for the sweep (%s)", notification_id,
                       exc.__class__.__name__)


def recipients_in(agency: Agency, action: str, *, exclude=()) -> set[int]:
    """The active people of an agency whose role allows `action`."""
    ids = set(roles.memberships_for_agency(agency, action).values_list("user_id", flat=True))
    return ids - set(exclude)


def enqueue(*, event: str, recipient_ids, referral: Referral | None = None,
            agency: Agency | None = None, handover=None, key: str = "") -> list[Notification]:
    """Write one outbox row per recipient and schedule delivery after commit.

    With a key (what this news is, e.g. "handover:12:received"), a person who already has
    a row with that key is skipped, and a unique constraint backs it: the same news never
    reaches one inbox twice. Callers hold a lock on the object the key names."""
    wanted = set(recipient_ids)
    if key:
        wanted -= set(Notification.objects.filter(key=key, recipient_id__in=wanted)
                      .values_list("recipient_id", flat=True))
    rows = Notification.objects.bulk_create(
        [Notification(recipient_id=uid, event=event, referral=referral, agency=agency, handover=handover, key=key)
         for uid in sorted(wanted)]
    )
    for row in rows:
        transaction.on_commit(partial(enqueue_delivery, row.pk))
    return rows
