"""Writes to agencies and memberships. Membership changes are audit events."""

from django.db import transaction

from audit.recorder import record

from .models import Agency, Membership


@transaction.atomic
def membership_grant(*, actor, user, agency: Agency, role: str) -> Membership:
    """Give a user a role in an agency (or re-activate it). Idempotent."""
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, agency=agency, role=role, defaults={"is_active": True}
    )
    if created or not membership.is_active:
        if not membership.is_active:
            Membership.objects.filter(pk=membership.pk).update(is_active=True)
            membership.is_active = True
        record(action="membership.granted", actor=actor, agency=agency, role=role, target=membership,
               changes={"user": user.pk, "agency": agency.pk, "role": role})
    return membership


@transaction.atomic
def membership_revoke(*, actor, membership: Membership) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_active:
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        membership.is_active = False
        record(action="membership.revoked", actor=actor, agency=membership.agency, role=membership.role,
               target=membership, changes={"user": membership.user_id})
    return membership
