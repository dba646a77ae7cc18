"""Reminders and escalation for statutory deadlines (run by Celery beat)."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q

from agencies import roles
from agencies.models import Agency
from audit.recorder import record

from .. import clocks, notifications
from ..models import Deadline, Notification

BEFORE = timedelta(days=2)
STEPS = {
    # step: (claim field, notification event, who is told)
    "soon": ("reminded_before_at", Notification.Event.DEADLINE_SOON, roles.DECIDE),
    "today": ("reminded_due_at", Notification.Event.DEADLINE_TODAY, roles.DECIDE),
    "breached": ("breached_at", Notification.Event.DEADLINE_BREACHED, roles.RECEIVE_ESCALATION),
}


def _step_for(deadline: Deadline, now: datetime) -> str | None:
    if deadline.due_at < now:
        return "breached" if deadline.breached_at is None else None
    if clocks.oslo_date(deadline.due_at) == clocks.oslo_date(now):
        return "today" if deadline.reminded_due_at is None else None
    if deadline.due_at - BEFORE <= now:
        return "soon" if deadline.reminded_before_at is None else None
    return None


def remind_and_escalate(*, now: datetime) -> dict:
    due = (Deadline.objects.filter(state=Deadline.State.OPEN, due_at__lte=now + BEFORE)
           .filter(Q(reminded_before_at__isnull=True) | Q(reminded_due_at__isnull=True) | Q(breached_at__isnull=True))
           .select_related("referral", "clock").order_by("due_at"))
    done = {"soon": 0, "today": 0, "breached": 0}
    for deadline in due.iterator():
        step = _step_for(deadline, now)
        if step is None:
            continue
        with transaction.atomic():
            if _act(deadline, step, now):
                done[step] += 1
    return done


def _act(deadline: Deadline, step: str, now: datetime) -> bool:
    claim_field, event, action = STEPS[step]
    claimed = Deadline.objects.filter(pk=deadline.pk, state=Deadline.State.OPEN,
                                      **{f"{claim_field}__isnull": True}).update(**{claim_field: now})
    if not claimed:
        return False
    referral = deadline.referral
    agencies = [r.agency for r in referral.routings.select_related("agency")
                .filter(agency__kind=Agency.Kind.CHILD_WELFARE, is_open=True)]
    for agency in agencies:
        recipients = set(roles.memberships_for_agency(agency, action).values_list("user_id", flat=True))
        if referral.caseworker_id:
            recipients.add(referral.caseworker_id)
        notifications.enqueue(event=event, referral=referral, agency=agency, recipient_ids=recipients)
    record(action=f"deadline.{step}", target=deadline, child_id=referral.child_id,
           agency=agencies[0] if agencies else None,
           changes={"reference": referral.reference, "kind": deadline.kind, "due_at": deadline.due_at,
                    "law": deadline.clock.law_reference, "agencies": [a.pk for a in agencies]})
    return True
