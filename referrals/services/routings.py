"""A receiving agency confirms a routed referral arrived (or a decision on it does, see
triage); until then the routing escalates (services/escalation.py)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import roles
from audit.recorder import record
from config.exceptions import ConflictError

from ..models import Referral, Routing


def routing_acknowledge(*, actor, referral: Referral) -> Routing:
    """Acknowledge the routing of `referral` to the actor's agency."""
    membership = (roles.memberships_for(actor, roles.ACKNOWLEDGE_ROUTING)
                  .filter(agency__routings__referral=referral).order_by("pk").first())
    if membership is None:
        record(action="routing.acknowledge", actor=actor, outcome="denied", target=referral,
               child_id=referral.child_id, changes={"reference": referral.reference})
        raise PermissionDenied(_("Your role does not allow this on this referral."))
    with transaction.atomic():
        routing = Routing.objects.select_for_update().get(referral=referral, agency=membership.agency)
        if routing.acknowledged_at is not None:
            raise ConflictError(_("Your agency has already acknowledged this referral."))
        routing.acknowledged_at = timezone.now()
        routing.acknowledged_by = actor
        routing.next_escalation_at = None
        routing.save(update_fields=["acknowledged_at", "acknowledged_by", "next_escalation_at"])
        record(action="routing.acknowledged", actor=actor, membership=membership, target=routing,
               child_id=referral.child_id, legal_basis=routing.legal_basis.code,
               changes={"reference": referral.reference, "agency": membership.agency_id,
                        "escalation_steps": routing.escalation_level})
    return routing
