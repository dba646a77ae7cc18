"""Writes to agencies and memberships. Membership changes are audit events."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from audit.recorder import record

from .models import Agency, Membership, User


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
        if not Membership.objects.filter(user_id=membership.user_id, is_active=True).exists():
            user_sessions_end(actor=actor, user=membership.user, reason="no_memberships")
    return membership


@transaction.atomic
def user_sessions_end(*, actor, user: User, reason: str) -> User:
    """End every session of the user (checked by agencies/sessions.py on their next
    request) and delete their API tokens."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.sessions_revoked_at = timezone.now()
    user.save(update_fields=["sessions_revoked_at"])
    tokens, _ = Token.objects.filter(user=user).delete()
    record(action="user.sessions_ended", actor=actor, target=user,
           changes={"user": user.pk, "reason": reason, "tokens_deleted": tokens})
    return user


@transaction.atomic
def user_deactivate(*, actor, user: User) -> User:
    """Disable a user: they can no longer sign in, and their sessions and tokens end."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        record(action="user.deactivated", actor=actor, target=user, changes={"user": user.pk})
    return user_sessions_end(actor=actor, user=user, reason="deactivated")


@transaction.atomic
def agency_require_two_factor_for_reporters(*, actor, agency: Agency, required: bool) -> Agency:
    """An agency admin asks the agency's reporters to sign in with two factors too (or no
    longer does). Other roles always must."""
    from . import roles

    membership = roles.memberships_for(actor, roles.MANAGE_SIGN_IN).filter(agency=agency).first()
    if membership is None:
        raise PermissionDenied
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if agency.require_two_factor_for_reporters != required:
        before = agency.require_two_factor_for_reporters
        Agency.objects.filter(pk=agency.pk).update(require_two_factor_for_reporters=required)
        agency.require_two_factor_for_reporters = required
        record(action="agency.two_factor_for_reporters", actor=actor, membership=membership, target=agency,
               changes={"before": before, "after": required})
    return agency
