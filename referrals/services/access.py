"""Break the glass: time-limited access to a referral outside one's scope.

Granted at once (someone may need it at night, in an emergency), but never quietly: the
request needs a written reason, the audit event is flagged for auditors, the owning
agencies' coordinators and the auditors are notified, and the grant ends by itself.

Not an oracle for references: a reference that does not exist (or is a draft) gets the
same answer as one that does, and the attempt is audited (flagged, outcome "denied") and
counts against the same daily limit. References are random (40 bits), so with a few
requests a day guessing one is hopeless, and every guess is in front of an auditor.
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from agencies import roles
from agencies.models import User
from audit.models import AuditEvent
from audit.recorder import record
from config.exceptions import ConflictError

from .. import notifications
from ..models import BreakGlassGrant, Notification, Referral
from ..models.access import (
    BREAK_GLASS_MAX_HOURS,
    BREAK_GLASS_MIN_HOURS,
    BREAK_GLASS_REASON_MAX_LENGTH,
    BREAK_GLASS_REASON_MIN_LENGTH,
)

BREAK_GLASS_PERMISSION = "referrals.break_glass_referral"
BREAK_GLASS_ACTION = "referral.break_glass"
BREAK_GLASS_FLAG = "break_glass"
# Requests (granted or not) one person may make in 24 hours.
BREAK_GLASS_DAILY_LIMIT = 5


def _clean(reference, reason, hours) -> tuple[str, str, int]:
    errors = {}
    reference = (reference or "").strip().upper()[:32]
    reason = (reason or "").strip()
    if not reference:
        errors["reference"] = [_("Give the referral's reference.")]
    if len(reason) < BREAK_GLASS_REASON_MIN_LENGTH:
        errors["reason"] = [_("Explain why you need access, in at least %(n)d characters.")
                            % {"n": BREAK_GLASS_REASON_MIN_LENGTH}]
    elif len(reason) > BREAK_GLASS_REASON_MAX_LENGTH:
        errors["reason"] = [_("Keep the reason under %(n)d characters.") % {"n": BREAK_GLASS_REASON_MAX_LENGTH}]
    if not isinstance(hours, int) or isinstance(hours, bool) or not (
            BREAK_GLASS_MIN_HOURS <= hours <= BREAK_GLASS_MAX_HOURS):
        errors["hours"] = [_("Choose between %(min)d and %(max)d hours.")
                           % {"min": BREAK_GLASS_MIN_HOURS, "max": BREAK_GLASS_MAX_HOURS}]
    if errors:
        raise ValidationError(errors)
    return reference, reason, hours


def break_glass_refuse(*, actor, reference: str = "") -> None:
    """Audit a refused attempt by someone whose role may not break the glass (kept: it is
    written outside any transaction the refusal rolls back), then refuse (403)."""
    record(action=BREAK_GLASS_ACTION, actor=actor, outcome=AuditEvent.Outcome.DENIED,
           target_type="referrals.referral",
           changes={"reference": (reference or "")[:32], "flag": BREAK_GLASS_FLAG, "refused": "role"})
    raise PermissionDenied


def break_glass_request(*, actor, reference: str, reason: str, hours: int) -> tuple[str, datetime]:
    """Grant the actor read access to one referral for `hours`. Returns the reference and
    the time access ends: the same answer whether or not the referral exists."""
    membership = roles.memberships_for(actor, roles.BREAK_GLASS).order_by("pk").first()
    if membership is None:
        break_glass_refuse(actor=actor, reference=str(reference or "").strip().upper())
    reference, reason, hours = _clean(reference, reason, hours)
    with transaction.atomic():
        answer = _grant(actor, membership, reference, reason, hours)
    if answer is None:
        # Audited outside the transaction, so the refusal is kept.
        record(action=BREAK_GLASS_ACTION, actor=actor, membership=membership, outcome=AuditEvent.Outcome.DENIED,
               target_type="referrals.referral",
               changes={"reference": reference, "flag": BREAK_GLASS_FLAG, "refused": "daily_limit"})
        raise ConflictError(_("You have broken the glass %(n)d times in the last 24 hours. Ask your "
                              "coordinator or an auditor.") % {"n": BREAK_GLASS_DAILY_LIMIT})
    return answer


def _grant(actor, membership, reference: str, reason: str, hours: int) -> tuple[str, datetime] | None:
    """The grant (or, for a missing reference, the same answer); None over the daily limit."""
    # One request at a time per person, so the daily limit cannot be raced past.
    User.objects.select_for_update().filter(pk=actor.pk).get()
    now = timezone.now()
    used = AuditEvent.objects.filter(actor=actor, action=BREAK_GLASS_ACTION,
                                     occurred_at__gte=now - timedelta(hours=24)).count()
    if used >= BREAK_GLASS_DAILY_LIMIT:
        return None
    expires_at = now + timedelta(hours=hours)
    referral = (Referral.objects.select_for_update().filter(reference=reference)
                .exclude(status=Referral.Status.DRAFT).first())
    changes = {"reference": reference, "reason": reason, "hours": hours, "expires_at": expires_at,
               "flag": BREAK_GLASS_FLAG}
    if referral is None:
        record(action=BREAK_GLASS_ACTION, actor=actor, membership=membership, outcome=AuditEvent.Outcome.DENIED,
               target_type="referrals.referral", legal_basis=BREAK_GLASS_FLAG, changes=changes)
        return reference, expires_at
    grant = BreakGlassGrant.objects.create(referral=referral, user=actor, agency=membership.agency,
                                           role=membership.role, reason=reason, hours=hours,
                                           granted_at=now, expires_at=expires_at)
    assign_perm(BREAK_GLASS_PERMISSION, actor, referral)
    record(action=BREAK_GLASS_ACTION, actor=actor, membership=membership, target=referral,
           child_id=referral.child_id, legal_basis=BREAK_GLASS_FLAG,
           changes={**changes, "grant": grant.pk, "permission": BREAK_GLASS_PERMISSION})
    notifications.enqueue(event=Notification.Event.BREAK_GLASS, referral=referral, agency=membership.agency,
                          recipient_ids=notifications.recipients_for_break_glass(referral, membership.agency))
    return reference, expires_at


def break_glass_expire(*, now=None) -> int:
    """Remove the django-guardian permission of every grant that has ended, and audit it.
    Each grant in its own transaction; rows another worker holds are skipped."""
    now = now or timezone.now()
    done = 0
    ids = list(BreakGlassGrant.objects.filter(revoked_at__isnull=True, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:1000])
    for pk in ids:
        with transaction.atomic():
            grant = (BreakGlassGrant.objects.select_for_update(skip_locked=True)
                     .filter(pk=pk, revoked_at__isnull=True).select_related("referral", "user").first())
            if grant is None:
                continue
            BreakGlassGrant.objects.filter(pk=pk).update(revoked_at=now)
            still_open = BreakGlassGrant.objects.filter(user=grant.user, referral=grant.referral,
                                                        expires_at__gt=now).exists()
            if not still_open:
                remove_perm(BREAK_GLASS_PERMISSION, grant.user, grant.referral)
            record(action="referral.break_glass_expired", actor_username=grant.user.get_username(),
                   agency=grant.agency, role=grant.role, target=grant.referral, child_id=grant.referral.child_id,
                   legal_basis=BREAK_GLASS_FLAG,
                   changes={"reference": grant.referral.reference, "grant": grant.pk, "user": grant.user_id,
                            "expires_at": grant.expires_at, "permission_removed": not still_open,
                            "flag": BREAK_GLASS_FLAG})
            done += 1
    return done
