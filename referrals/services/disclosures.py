"""Every disclosure of a child's information to another agency is authorised here and
recorded here, inside the transaction of the routing, handover or export that makes it.

A disclosure names a legal basis usable for the receiving kind of agency. A basis that does
not allow sharing without consent (the consent basis) needs a valid consent covering that
recipient and purpose; a missing consent can be overridden only by someone whose role
allows it (checked here, never taken from the request) and with a written reason, and the
override is flagged for auditors."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Agency
from audit.models import AuditEvent
from audit.recorder import record

from ..models import Consent, Disclosure, Handover, LegalBasis, Referral, Routing
from ..models.consent import TEXT_MAX_LENGTH
from ..models.taxonomy import CONSULTATION_BASIS


@dataclass(frozen=True)
class Authorisation:
    legal_basis: LegalBasis
    consent: Consent | None = None
    override: bool = False
    override_reason: str = ""


def basis_problem(legal_basis: LegalBasis | None, recipient: Agency) -> str:
    """Why this basis cannot carry a disclosure to this agency ("" if it can)."""
    if legal_basis is None:
        return _("Name the legal basis the disclosure relies on.")
    if not legal_basis.usable_for(recipient.kind):
        return (_("%(basis)s cannot be used to disclose to %(kind)s. Choose a legal basis for that kind of "
                  "agency, or share by consent.")
                % {"basis": legal_basis.law_reference, "kind": recipient.get_kind_display().lower()})
    return ""


def clean_scope(scope) -> tuple[list[str], str]:
    """The parts of the referral named (Handover.Scope values) in the referral's own order,
    and what is wrong with them ("" if nothing)."""
    named = list(dict.fromkeys(scope or []))
    if not named:
        return [], _("Choose what the receiving agency may see.")
    if any(part not in Handover.Scope.values for part in named):
        return [], _("Unknown part of the referral.")
    return [part for part in Handover.Scope.values if part in named], ""


def refuse_override_without_permission(*, actor, referral: Referral, membership, **changes) -> None:
    """Overriding a missing consent needs the override permission in the sending agency
    (the membership's), checked here from the actor's roles: nothing the request says
    counts. A refusal is audited, then raised as PermissionDenied."""
    if roles.memberships_for(actor, roles.OVERRIDE_CONSENT).filter(agency=membership.agency).exists():
        return
    record(action="disclosure.override", actor=actor, membership=membership, outcome=AuditEvent.Outcome.DENIED,
           target=referral, child_id=referral.child_id,
           changes={"reference": referral.reference, "override": True, **changes})
    raise PermissionDenied(_("Your role does not allow overriding a missing consent."))


def covering_consents(*, referral: Referral, recipient: Agency, purpose: str, at=None):
    """The valid consents on the referral that name this recipient and purpose."""
    at = at or timezone.now()
    consents = (Consent.objects.filter(referral=referral, recipients=recipient, withdrawn_at__isnull=True,
                                       ended_at__isnull=True, valid_from__lte=at)
                .order_by("-valid_from", "-pk"))
    return [c for c in consents if c.is_valid_at(at) and purpose in c.purposes]


def disclosure_authorise(*, actor, referral: Referral, sending_agency: Agency, recipient: Agency,
                         legal_basis: LegalBasis | None, purpose: str, consent: Consent | None = None,
                         override: bool = False, override_reason: str = "", scope=None) -> Authorisation:
    """Check that the disclosure may go, inside the caller's transaction. The consent it
    relies on is locked, so a withdrawal at the same moment waits for this disclosure (and
    ends the access it gives) or this disclosure sees the withdrawal and is refused. With a
    `scope` (a handover, an export), the identity goes only where the sender may pass it on
    (identity_check)."""
    authorisation = _authorise(actor=actor, referral=referral, sending_agency=sending_agency, recipient=recipient,
                               legal_basis=legal_basis, purpose=purpose, consent=consent, override=override,
                               override_reason=override_reason)
    if scope is not None:
        identity_check(referral=referral, sending_agency=sending_agency, recipient=recipient, scope=scope,
                       authorisation=authorisation)
    return authorisation


def _authorise(*, actor, referral: Referral, sending_agency: Agency, recipient: Agency,
               legal_basis: LegalBasis | None, purpose: str, consent: Consent | None,
               override: bool, override_reason: str) -> Authorisation:
    problem = basis_problem(legal_basis, recipient)
    if problem:
        raise ValidationError({"legal_basis": [problem]})
    if legal_basis.allows_without_consent and consent is None:
        return Authorisation(legal_basis=legal_basis)
    at = timezone.now()
    if consent is not None:
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.referral_id != referral.pk:
            raise ValidationError({"consent": [_("This consent belongs to another referral.")]})
        if not consent.is_valid_at(at):
            raise ValidationError({"consent": [_("Consent %(consent)s is not valid now (%(state)s).")
                                               % {"consent": consent.reference, "state": consent.state_display()}]})
        if not consent.recipients.filter(pk=recipient.pk).exists() or purpose not in consent.purposes:
            raise ValidationError({"consent": [_("Consent %(consent)s does not cover %(agency)s for this purpose.")
                                               % {"consent": consent.reference, "agency": recipient.name}]})
        return Authorisation(legal_basis=legal_basis, consent=consent)
    found = covering_consents(referral=referral, recipient=recipient, purpose=purpose, at=at)
    if found:
        locked = Consent.objects.select_for_update().get(pk=found[0].pk)
        if locked.is_valid_at(at):
            return Authorisation(legal_basis=legal_basis, consent=locked)
    if not override:
        raise ValidationError({"consent": [
            _("No valid consent covers %(agency)s for this purpose. Record the consent first, choose a legal "
              "basis that allows sharing without consent, or override with a written reason (this needs the "
              "override permission).") % {"agency": recipient.name}]})
    if not roles.memberships_for(actor, roles.OVERRIDE_CONSENT).filter(agency=sending_agency).exists():
        record(action="disclosure.override", actor=actor, agency=sending_agency, outcome=AuditEvent.Outcome.DENIED,
               target=referral, child_id=referral.child_id,
               changes={"reference": referral.reference, "recipient": recipient.pk, "override": True})
        raise PermissionDenied(_("Your role does not allow overriding a missing consent."))
    override_reason = (override_reason or "").strip()
    if not override_reason:
        raise ValidationError({"override_reason": [_("Write why the information is shared without consent.")]})
    if len(override_reason) > TEXT_MAX_LENGTH:
        raise ValidationError({"override_reason": [_("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH}]})
    return Authorisation(legal_basis=legal_basis, override=True, override_reason=override_reason)


def routing_authorise(*, actor, referral: Referral, sending_agency: Agency, recipient: Agency,
                      legal_basis: LegalBasis, identity_available: bool = True) -> tuple[Authorisation, bool]:
    """How a routing may disclose the referral to `recipient`, and whether the child's
    identity must be withheld. On a basis that allows sharing without consent, all of it
    (if the sender has the identity to give); otherwise a valid consent covering the
    recipient for the routing purpose carries the identity; without one, the routing is a
    consultation without identity. Inside the caller's transaction (a consent is locked)."""
    purpose = Consent.Purpose.ROUTING
    if legal_basis.allows_without_consent and identity_available:
        return disclosure_authorise(actor=actor, referral=referral, sending_agency=sending_agency,
                                    recipient=recipient, legal_basis=legal_basis, purpose=purpose), False
    found = covering_consents(referral=referral, recipient=recipient, purpose=purpose)
    if found:
        return disclosure_authorise(actor=actor, referral=referral, sending_agency=sending_agency,
                                    recipient=recipient, legal_basis=legal_basis, purpose=purpose,
                                    consent=found[0]), False
    return Authorisation(legal_basis=LegalBasis.objects.get(code=CONSULTATION_BASIS)), True


def identity_check(*, referral: Referral, sending_agency: Agency, recipient: Agency, scope,
                   authorisation: Authorisation) -> None:
    """An agency that received the referral without the child's identity passes the identity
    on only on a consent covering the recipient (or an override of the missing consent)."""
    if (Handover.Scope.IDENTITY not in scope or authorisation.consent is not None or authorisation.override
            or not Routing.objects.filter(referral=referral, agency=sending_agency, identity_withheld=True).exists()):
        return
    raise ValidationError({"scope": [_(
        "Your agency received this concern without the child's identity, so the identity can only go on with a "
        "consent that covers %(agency)s for this purpose. Leave the identity out, or record the consent first.")
        % {"agency": recipient.name}]})


def disclosure_record(*, actor, referral: Referral, kind: str, sending_agency: Agency, recipient: Agency,
                      scope, purpose: str, authorisation: Authorisation, routing=None, handover=None,
                      membership=None) -> Disclosure:
    """Write the disclosure row and its audit event (the caller's transaction)."""
    disclosure = Disclosure.objects.create(
        referral=referral, kind=kind, sending_agency=sending_agency, recipient=recipient, scope=list(scope),
        purpose=purpose, legal_basis=authorisation.legal_basis, consent=authorisation.consent,
        override=authorisation.override, override_reason=authorisation.override_reason, approved_by=actor,
        routing=routing, handover=handover)
    changes = {"reference": referral.reference, "kind": kind, "recipient": recipient.pk,
               "sending_agency": sending_agency.pk, "scope": list(scope), "purpose": purpose,
               "consent": authorisation.consent.reference if authorisation.consent else None}
    if authorisation.override:
        changes.update(override=True, override_reason=authorisation.override_reason)
    record(action="disclosure.made", actor=actor, membership=membership,
           agency=None if membership else sending_agency, target=disclosure, child_id=referral.child_id,
           legal_basis=authorisation.legal_basis.code, changes=changes)
    return disclosure
