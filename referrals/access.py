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

from .models import BreakGlassGrant, Consent, Handover, Notification, Referral, ReferralUserObjectPermission, Routing
from .models.taxonomy import CONSULTATION_BASIS


@dataclass(frozen=True)
class Grant:
    """Why the user may see the referral: through which agency and in which role. A grant
    through a handover carries its scope: only those parts may be shown, and only through
    the handover's own page and API (never the full referral)."""

    agency: Agency
    role: str
    legal_basis: str = ""
    scope: frozenset | None = None
    break_glass: bool = False
    expires_at: datetime | None = None
    # Routed as a consultation without identity: the child's identity is not shown.
    identity_withheld: bool = False

    @property
    def is_scoped(self) -> bool:
        return self.scope is not None


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
        basis, withheld = referral.routings.filter(agency=membership.agency).values_list(
            "legal_basis__code", "identity_withheld").first() or ("", False)
        return Grant(agency=membership.agency, role=membership.role, identity_withheld=withheld,
                     legal_basis=CONSULTATION_BASIS if withheld else basis)
    handover_grant = _handover_grant(user, referral)
    if handover_grant is not None:
        return handover_grant
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


def _handover_grant(user, referral: Referral) -> Grant | None:
    """A receiving agency's liaison or coordinator sees what the handovers to their agency
    disclose (the union of their scopes), and nothing else; a revoked one discloses nothing,
    nor does one whose consent was withdrawn or expired (its access ended)."""
    handovers = list(
        Handover.objects.filter(referral=referral, receiving_agency__in=roles.memberships_for(
            user, roles.ANSWER_HANDOVER).values("agency"), access_ended_at__isnull=True)
        .exclude(status=Handover.Status.REVOKED)
        .select_related("legal_basis", "receiving_agency").order_by("pk"))
    if not handovers:
        return None
    membership = roles.memberships_for(user, roles.ANSWER_HANDOVER).filter(
        agency=handovers[0].receiving_agency).order_by("pk").first()
    scope = frozenset(part for h in handovers for part in h.scope)
    return Grant(agency=membership.agency, role=membership.role, legal_basis=handovers[0].legal_basis.code,
                 scope=scope)


def handover_membership(user, handover: Handover, *, side: str) -> Membership | None:
    """The user's membership on one side of a handover: "sender" (a coordinator of the
    sending agency) or "receiver" (a liaison or coordinator of the receiving agency)."""
    if side == "sender":
        return (roles.memberships_for(user, roles.SEND_HANDOVER).filter(agency_id=handover.sending_agency_id)
                .order_by("pk").first())
    if handover.access_ended_at is not None:
        # The consent it relied on was withdrawn or expired: the receiver has nothing more here.
        return None
    return (roles.memberships_for(user, roles.ANSWER_HANDOVER).filter(agency_id=handover.receiving_agency_id)
            .order_by("pk").first())


def access_handover(*, user, reference: str, action: str = "handover.read") -> tuple[Handover, Membership, str]:
    """Fetch a handover and the user's side of it in one step. Missing and forbidden both
    raise Http404; a forbidden attempt is audited as denied."""
    handover = (Handover.objects.select_related("referral", "sending_agency", "receiving_agency", "legal_basis",
                                                "consent",
                                                "created_by", "acknowledged_by", "answered_by", "revoked_by")
                .filter(reference=reference).first())
    if handover is not None:
        for side in ("receiver", "sender"):
            membership = handover_membership(user, handover, side=side)
            if membership is not None:
                return handover, membership, side
    record(action=action, actor=user, outcome=AuditEvent.Outcome.DENIED, target_type="referrals.handover",
           target_id=handover.pk if handover is not None else "",
           child_id=handover.referral.child_id if handover is not None else None,
           changes={"reference": reference[:32]})
    raise Http404


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


def routed_membership(user, referral: Referral, action: str) -> Membership | None:
    """The user's membership, in an agency the referral is routed to (and not re-routed
    away from), whose role allows `action`."""
    return (roles.memberships_for(user, action)
            .filter(agency__routings__referral=referral, agency__routings__rerouted_at__isnull=True)
            .order_by("pk").first())


def access_referral_for(*, user, reference: str, action: str, permission: str) -> tuple[Referral, Membership]:
    """Fetch a referral for a user whose role in an agency it is routed to allows
    `permission` (consent, the disclosure log: auditors included, who have no case read).
    Missing and forbidden both raise Http404; a forbidden attempt is audited."""
    referral = Referral.objects.select_related("child").filter(reference=reference).first()
    membership = routed_membership(user, referral, permission) if referral is not None else None
    if membership is None:
        record(action=action, actor=user, outcome=AuditEvent.Outcome.DENIED, target_type="referrals.referral",
               target_id=referral.pk if referral is not None else "",
               child_id=referral.child_id if referral is not None else None,
               changes={"reference": reference[:32]})
        raise Http404
    return referral, membership


def access_consent(*, user, reference: str, action: str) -> tuple[Consent, Membership]:
    """A consent, for a coordinator of an agency its referral is routed to; else 404, audited."""
    consent = Consent.objects.select_related("referral").filter(reference=reference).first()
    membership = (routed_membership(user, consent.referral, roles.MANAGE_CONSENT)
                  if consent is not None else None)
    if membership is None:
        record(action=action, actor=user, outcome=AuditEvent.Outcome.DENIED, target_type="referrals.consent",
               target_id=consent.pk if consent is not None else "",
               child_id=consent.referral.child_id if consent is not None else None,
               changes={"reference": reference[:32]})
        raise Http404
    return consent, membership
