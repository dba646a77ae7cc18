"""Every write to referrals: validate, change, audit and enqueue notifications, in one
transaction. Web views and the API call these same functions."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Agency, Municipality
from audit.models import AuditEvent
from audit.recorder import record

from . import notifications, routing
from .models import Child, Notification, Referral, Routing, Urgency

URGENCY_BY_CATEGORY = {"A": Urgency.P0}


@dataclass(frozen=True)
class ChildData:
    given_name: str
    family_name: str = ""
    date_of_birth: date | None = None
    estimated_age: int | None = None
    municipality: Municipality | None = None


def _reporting_membership(actor, agency: Agency):
    membership = roles.memberships_for(actor, roles.FILE_REFERRAL).filter(agency=agency).first()
    if membership is None:
        record(action="referral.submit", actor=actor, agency=agency,
               outcome=AuditEvent.Outcome.DENIED, target_type="referrals.referral")
        raise PermissionDenied(_("You cannot file referrals for this agency."))
    return membership


def _clean_child(data: ChildData, reporting_agency: Agency) -> Child:
    child = Child(
        given_name=data.given_name.strip(),
        family_name=data.family_name.strip(),
        date_of_birth=data.date_of_birth,
        estimated_age=data.estimated_age,
        municipality=data.municipality or reporting_agency.municipality,
    )
    errors: dict[str, list[str]] = {}
    if child.municipality is None:
        errors["municipality"] = [_("Choose the child's municipality.")]
    if child.date_of_birth is None and child.estimated_age is None:
        errors["date_of_birth"] = [_("Give the child's date of birth or an estimated age.")]
    if child.date_of_birth is not None:
        today = timezone.localdate()
        if child.date_of_birth > today:
            errors["date_of_birth"] = [_("The date of birth cannot be in the future.")]
        elif (today.year - child.date_of_birth.year
              - ((today.month, today.day) < (child.date_of_birth.month, child.date_of_birth.day))) >= 18:
            errors["date_of_birth"] = [
                _("The date of birth makes the child 18 or older. If the age is uncertain, "
                  "give an estimated age instead.")
            ]
    try:
        child.full_clean(exclude=["municipality"] if child.municipality is None else None)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return child


def referral_submit(
    *, actor, reporting_agency: Agency, child: ChildData, category: str, concern: str,
) -> Referral:
    """File a concern about a child and route it. Nothing is saved if anything is invalid."""
    membership = _reporting_membership(actor, reporting_agency)
    return _referral_submit(membership=membership, actor=actor, child_data=child,
                            category=category, concern=concern)


@transaction.atomic
def _referral_submit(*, membership, actor, child_data: ChildData, category: str, concern: str) -> Referral:
    agency = membership.agency
    child = _clean_child(child_data, agency)
    now = timezone.now()
    referral = Referral(
        child=child, reporter=actor, reporting_agency=agency, category=category,
        concern=concern.strip(), urgency=URGENCY_BY_CATEGORY.get(category, Urgency.P1),
        status=Referral.Status.SUBMITTED, submitted_at=now,
    )
    referral.full_clean(exclude=["child", "reporter", "reporting_agency", "reference"])
    child.save()
    referral.child = child
    referral.save()

    decisions = routing.decide(referral)
    record(
        action="referral.submitted", actor=actor, membership=membership, target=referral,
        child_id=child.pk,
        changes={"reference": referral.reference, "category": category, "urgency": referral.urgency,
                 "routed_to": [d.agency.pk for d in decisions]},
    )
    for decision in decisions:
        routing_row = Routing.objects.create(
            referral=referral, agency=decision.agency, reason=decision.reason,
            legal_basis=decision.legal_basis,
        )
        record(
            action="referral.routed", actor=actor, membership=membership, target=routing_row,
            child_id=child.pk, legal_basis=decision.legal_basis,
            changes={"reference": referral.reference, "agency": decision.agency.pk,
                     "reason": decision.reason},
        )
        notifications.enqueue(
            event=Notification.Event.REFERRAL_ROUTED, referral=referral, agency=decision.agency,
            recipient_ids=notifications.recipients_for_routing(decision.agency),
        )
    return referral


@transaction.atomic
def notification_mark_read(*, actor, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied
    if notification.read_at is None:
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())
        notification.refresh_from_db(fields=["read_at"])
        record(action="notification.read", actor=actor, target=notification)
    return notification
