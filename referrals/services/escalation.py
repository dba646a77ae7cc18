"""Nothing falls silently between two agencies: a handover or a routing nobody
acknowledged by its deadline escalates (run by Celery beat), step after step until
someone answers. Step 1 tells the receiving agency's liaisons and coordinators (and the
sender, that it has not arrived); every later step its agency admins. Each step is an
Escalation row (unique per step, so two sweeps never take the same step twice), an audit
event and outbox notifications, in one transaction."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from agencies import roles
from audit.recorder import record

from .. import notifications
from ..models import Escalation, Handover, Notification, Routing

BATCH = 1000


def escalate_unacknowledged(*, now: datetime) -> dict:
    done = {"handovers": 0, "routings": 0}
    handover_ids = list(Handover.objects.filter(status=Handover.Status.PENDING, next_escalation_at__lte=now)
                        .order_by("next_escalation_at").values_list("pk", flat=True)[:BATCH])
    for pk in handover_ids:
        if _escalate_handover(pk, now):
            done["handovers"] += 1
    routing_ids = list(Routing.objects.filter(acknowledged_at__isnull=True, is_open=True,
                                              next_escalation_at__lte=now)
                       .order_by("next_escalation_at").values_list("pk", flat=True)[:BATCH])
    for pk in routing_ids:
        if _escalate_routing(pk, now):
            done["routings"] += 1
    return done


def _audience(step: int) -> tuple[str, str]:
    if step == 1:
        return Escalation.Audience.RECEIVERS, ""
    return Escalation.Audience.ADMINS, roles.RECEIVE_UNACKNOWLEDGED_ESCALATION


def _take_step(**fields) -> bool:
    try:
        with transaction.atomic():
            Escalation.objects.create(**fields)
    except IntegrityError:
        return False
    return True


def _escalate_handover(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        handover = (Handover.objects.select_for_update(skip_locked=True).select_related("referral", "legal_basis")
                    .filter(pk=pk, status=Handover.Status.PENDING, next_escalation_at__lte=now).first())
        if handover is None:
            return False
        step = handover.escalation_level + 1
        audience, action = _audience(step)
        agency = handover.receiving_agency
        recipients = notifications.recipients_in(agency, action or roles.ANSWER_HANDOVER)
        if step == 1:
            recipients |= {handover.created_by_id}
        if not recipients - {handover.created_by_id}:
            # Nobody at the receiving agency to tell: the sending agency must know.
            recipients |= notifications.recipients_in(handover.sending_agency, roles.SEND_HANDOVER)
        if not _take_step(handover=handover, step=step, audience=audience, recipients=sorted(recipients)):
            return False
        Handover.objects.filter(pk=pk).update(escalation_level=step,
                                              next_escalation_at=now + settings.ESCALATION_REPEAT)
        record(action="handover.escalated", target=handover, agency=agency, child_id=handover.referral.child_id,
               legal_basis=handover.legal_basis.code,
               changes={"reference": handover.reference, "step": step, "audience": audience,
                        "recipients": sorted(recipients), "acknowledge_by": handover.acknowledge_by})
        notifications.enqueue(event=Notification.Event.HANDOVER_OVERDUE, recipient_ids=recipients,
                              referral=handover.referral, agency=agency, handover=handover,
                              key=f"handover:{pk}:escalation:{step}")
    return True


def _escalate_routing(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        routing = (Routing.objects.select_for_update(skip_locked=True).select_related("referral", "legal_basis")
                   .filter(pk=pk, acknowledged_at__isnull=True, is_open=True, next_escalation_at__lte=now).first())
        if routing is None:
            return False
        step = routing.escalation_level + 1
        audience, action = _audience(step)
        agency = routing.agency
        recipients = notifications.recipients_in(agency, action or roles.RECEIVE_ROUTING_NOTICE)
        if not _take_step(routing=routing, step=step, audience=audience, recipients=sorted(recipients)):
            return False
        Routing.objects.filter(pk=pk).update(escalation_level=step,
                                             next_escalation_at=now + settings.ESCALATION_REPEAT)
        record(action="routing.escalated", target=routing, agency=agency, child_id=routing.referral.child_id,
               legal_basis=routing.legal_basis.code,
               changes={"reference": routing.referral.reference, "step": step, "audience": audience,
                        "recipients": sorted(recipients), "acknowledge_by": routing.acknowledge_by})
        notifications.enqueue(event=Notification.Event.ROUTING_OVERDUE, recipient_ids=recipients,
                              referral=routing.referral, agency=agency, key=f"routing:{pk}:escalation:{step}")
    return True
