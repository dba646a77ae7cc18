"""Writing to the notification outbox. Called by services inside their transaction."""

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


def enqueue(*, event: str, recipient_ids, referral: Referral | None = None,
            agency: Agency | None = None) -> list[Notification]:
    """Write one outbox row per recipient and schedule delivery after commit."""
    from .tasks import deliver_notification

    rows = Notification.objects.bulk_create(
        [Notification(recipient_id=uid, event=event, referral=referral, agency=agency)
         for uid in sorted(set(recipient_ids))]
    )
    for row in rows:
        transaction.on_commit(partial(deliver_notification.delay, row.pk))
    return rows
