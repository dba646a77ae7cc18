"""Who may see a referral. One place decides, and a forbidden referral answers exactly like
a missing one (404). Denied attempts are audited."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from agencies import roles
from agencies.models import Agency, Membership
from audit.models import AuditEvent
from audit.recorder import record

from .models import BreakGlassGrant, Notification, Referral, ReferralUserObjectPermission, Routing


@dataclass(frozen=True)
class Grant:
    """Why the user may see the referral: through which agency and in which role."""

    agency: Agency
    role: str
    legal_basis: str = ""
    break_glass: bool = False
    expires_at: datetime | None = None


def routed_to_memberships(user, action: str) -> QuerySet[Membership]:
    return roles.memberships_for(user, action)


def visible_referrals(user) -> QuerySet[Referral]:
    """Referrals routed to an agency where the user holds a role that may read them,
    plus those the user filed."""
    routed = Routing.objects.filter(
        referral=OuterRef("pk"),
        agency__memberships__user=user,
        agency__memberships__is_active=True,
        agency__memberships__role__in=roles.roles_for(roles.READ_ROUTED_REFERRAL),
    )
    return Referral.objects.filter(Exists(routed) | Exists(Referral.objects.filter(pk=OuterRef("pk"), reporter=user)))


def grant_for(user, referral: Referral) -> Grant | None:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    membership = (
        roles.memberships_for(user, roles.READ_ROUTED_REFERRAL)
        .filter(agency__routings__referral=referral)
        .order_by("pk")
        .first()
    )
    if membership is None:
        membership = _assigned_caseworker_membership(user, referral)
    if membership is not None:
        basis = referral.routings.filter(agency=membership.agency).values_list("legal_basis__code", flat=True).first()
        return Grant(agency=membership.agency, role=membership.role, legal_basis=basis or "")
    if referral.reporter_id == user.pk:
        return Grant(agency=referral.reporting_agency, role=Membership.Role.REPORTER)
    return _break_glass_grant(user, referral)


def _break_glass_grant(user, referral: Referral) -> Grant | None:
    """Read-only access under an unexpired break-the-glass grant: the django-guardian
    permission must be there, the grant's expires_at still ahead (so access ends on time
    even before the periodic task removes the permission), and the role still held."""
    grant = (BreakGlassGrant.objects.filter(
        user=user, referral=referral, expires_at__gt=timezone.now(),
        referral__referraluserobjectpermission__user=user,
        referral__referraluserobjectpermission__permission__codename="break_glass_referral",
        agency__memberships__user=user, agency__memberships__role=F("role"),
        agency__memberships__is_active=True, agency__is_active=True,
    ).select_related("agency").order_by("-expires_at").first())
    if grant is None:
        return None
    return Grant(agency=grant.agency, role=grant.role, legal_basis="break_glass", break_glass=True,
                 expires_at=grant.expires_at)


def _assigned_caseworker_membership(user, referral: Referral) -> Membership | None:
    """A caseworker reads a referral through the django-guardian grant the assignment
    service gave them on that one referral (and only while they still hold the role)."""
    granted = ReferralUserObjectPermission.objects.filter(
        user=user, content_object=referral, permission__codename="work_on_referral").exists()
    if not granted:
        return None
    return (roles.memberships_for(user, roles.BE_ASSIGNED)
            .filter(agency__routings__referral=referral).order_by("pk").first())


def access_referral(*, user, reference: str, action: str = "referral.read") -> tuple[Referral, Grant]:
    """Fetch a referral and check the user may see it, in one step. Missing and forbidden
    both raise Http404; a forbidden attempt is recorded as a denied audit event."""
    referral = (
        Referral.objects.select_related("child", "child__municipality", "reporting_agency", "reporter")
        .filter(reference=reference)
        .first()
    )
    grant = grant_for(user, referral) if referral is not None else None
    if grant is None:
        record(
            action=action, actor=user, outcome=AuditEvent.Outcome.DENIED,
            target_type="referrals.referral",
            target_id=referral.pk if referral is not None else "",
            child_id=referral.child_id if referral is not None else None,
            changes={"reference": reference[:32]},
        )
        raise Http404
    return referral, grant


def access_notification(*, user, notification_id: int) -> Notification:
    """One of the user's own notifications. Someone else's answers like a missing one
    (404), and the attempt is audited."""
    notification = (Notification.objects.select_related("referral")
                    .filter(pk=notification_id, recipient_id=user.pk).first())
    if notification is None:
        record(action="notification.read", actor=user, outcome=AuditEvent.Outcome.DENIED,
               target_type="referrals.notification", target_id=notification_id)
        raise Http404
    return notification
