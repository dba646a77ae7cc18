"""Handovers between agencies: sending, acknowledging, accepting, declining, revoking, and
the message thread on a handover.

pending ──acknowledge (external reference)──▶ acknowledged ──accept──▶ accepted
   │                                              └──────decline (reason)──▶ declined
   └──revoke (sender)──▶ revoked

Every write locks the handover row first, checks the transition from the state it finds,
then changes, audits and writes the outbox in the same transaction: of two liaisons
acknowledging at once, exactly one wins and the other gets a ConflictError (409)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Agency, Membership
from audit.recorder import record
from config.exceptions import ConflictError

from .. import clocks, notifications
from ..access import handover_membership
from ..models import Consent, Disclosure, Handover, HandoverMessage, LegalBasis, Notification, Referral, Urgency
from . import disclosures
from ..models.handover import TEXT_MAX_LENGTH

Status = Handover.Status
Event = Notification.Event
EXTERNAL_REFERENCE_MAX_LENGTH = 64


def _locked(handover: Handover) -> Handover:
    return Handover.objects.select_for_update().select_related("referral").get(pk=handover.pk)


def _denied(actor, action: str, handover: Handover | None = None, referral: Referral | None = None):
    referral = referral or handover.referral
    record(action=action, actor=actor, outcome="denied", target=handover or referral, child_id=referral.child_id,
           changes={"reference": handover.reference if handover else referral.reference})
    return PermissionDenied(_("Your role does not allow this on this handover."))


def _side(actor, handover: Handover, side: str, action: str) -> Membership:
    membership = handover_membership(actor, handover, side=side)
    if membership is None:
        raise _denied(actor, action, handover)
    return membership


def _text(value: str, field: str, *, required: bool, max_length: int = TEXT_MAX_LENGTH,
          message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: [message or _("This field is required.")]})
    if len(value) > max_length:
        raise ValidationError({field: [_("At most %(n)d characters.") % {"n": max_length}]})
    return value


def _sender_ids(handover: Handover) -> set[int]:
    return notifications.recipients_in(handover.sending_agency, roles.SEND_HANDOVER) | {handover.created_by_id}


def _receiver_ids(handover: Handover) -> set[int]:
    return notifications.recipients_in(handover.receiving_agency, roles.ANSWER_HANDOVER)


def _notify(handover: Handover, event: str, recipient_ids, key: str, *, agency: Agency) -> None:
    notifications.enqueue(event=event, recipient_ids=recipient_ids, referral=handover.referral, agency=agency,
                          handover=handover, key=f"handover:{handover.pk}:{key}")


def _audit(actor, membership, handover: Handover, action: str, **changes) -> None:
    record(action=action, actor=actor, membership=membership, target=handover,
           child_id=handover.referral.child_id, legal_basis=handover.legal_basis.code,
           changes={"reference": handover.reference, "referral": handover.referral.reference, **changes})


# --- sending ---------------------------------------------------------------------------


def _validate_new(referral: Referral, sending: Agency, receiving: Agency | None, type: str,
                  legal_basis: LegalBasis | None, scope, urgency: str | None) -> list[str]:
    errors: dict[str, list[str]] = {}
    if type not in Handover.Type.values:
        errors["type"] = [_("Choose the kind of handover.")]
    if receiving is None or not receiving.is_active:
        errors["receiving_agency"] = [_("Choose the agency that receives it.")]
    elif receiving.pk == sending.pk:
        errors["receiving_agency"] = [_("An agency cannot hand over to itself.")]
    elif type in Handover.Type.values and receiving.kind not in Handover.RECEIVER_KINDS[type]:
        errors["receiving_agency"] = [_("This agency cannot receive this kind of handover.")]
    if legal_basis is None:
        errors["legal_basis"] = [_("Name the legal basis the handover relies on.")]
    scope, problem = disclosures.clean_scope(scope)
    if problem:
        errors["scope"] = [problem]
    if urgency is not None and urgency not in Urgency.values:
        errors["urgency"] = [_("Unknown urgency.")]
    if errors:
        raise ValidationError(errors)
    return scope


def handover_create(*, actor, referral: Referral, receiving_agency: Agency | None, type: str,
                    legal_basis: LegalBasis | None, scope, urgency: str | None = None,
                    message: str = "", consent: Consent | None = None, override: bool = False,
                    override_reason: str = "") -> Handover:
    """Hand a referral (the parts in `scope`) to another agency. The actor must be a
    coordinator of an agency the referral was routed to. The handover relies on a legal
    basis usable for the receiving kind of agency; on the consent basis, on a valid consent
    covering the receiver and the purpose (the handover's type), or on an override of the
    missing consent by someone whose role allows it, with a reason. A disclosure record is
    written with it."""
    membership = (roles.memberships_for(actor, roles.SEND_HANDOVER)
                  .filter(agency__routings__referral=referral).order_by("pk").first())
    if membership is None:
        raise _denied(actor, "handover.create", referral=referral)
    if override:
        disclosures.refuse_override_without_permission(
            actor=actor, referral=referral, membership=membership,
            receiving_agency=receiving_agency.pk if receiving_agency else None)
    scope = _validate_new(referral, membership.agency, receiving_agency, type, legal_basis, scope, urgency)
    message = _text(message, "message", required=False)
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.is_draft:
            raise ConflictError(_("A draft cannot be handed over."))
        if Handover.objects.filter(referral=referral, receiving_agency=receiving_agency, type=type,
                                   status__in=Handover.OPEN_STATUSES, access_ended_at__isnull=True).exists():
            raise ConflictError(_("An open handover of this kind to this agency already exists."))
        authorisation = disclosures.disclosure_authorise(
            actor=actor, referral=referral, sending_agency=membership.agency, recipient=receiving_agency,
            legal_basis=legal_basis, purpose=type, consent=consent, override=override,
            override_reason=override_reason, scope=scope)
        urgency = urgency or referral.urgency
        now = timezone.now()
        acknowledge_by = clocks.handover_acknowledge_by(now, type=type, urgency=urgency)
        handover = Handover.objects.create(
            referral=referral, type=type, sending_agency=membership.agency, receiving_agency=receiving_agency,
            created_by=actor, legal_basis=legal_basis, scope=scope, urgency=urgency, message=message,
            created_at=now, acknowledge_by=acknowledge_by, next_escalation_at=acknowledge_by,
            consent=authorisation.consent,
        )
        extra = {"consent": authorisation.consent.reference} if authorisation.consent else {}
        if authorisation.override:
            extra.update(override=True, override_reason=authorisation.override_reason)
        _audit(actor, membership, handover, "handover.created", type=type, sending_agency=membership.agency.pk,
               receiving_agency=receiving_agency.pk, scope=scope, urgency=urgency, acknowledge_by=acknowledge_by,
               **extra)
        disclosures.disclosure_record(
            actor=actor, membership=membership, referral=referral, kind=Disclosure.Kind.HANDOVER,
            sending_agency=membership.agency, recipient=receiving_agency, scope=scope, purpose=type,
            authorisation=authorisation, handover=handover)
        _notify(handover, Event.HANDOVER_RECEIVED, _receiver_ids(handover), "received", agency=receiving_agency)
    return handover


# --- the receiving agency answers ------------------------------------------------------


def _conflict(handover: Handover) -> ConflictError:
    return ConflictError(_("This cannot be done now: the handover is «%(status)s». Someone may have "
                           "answered it a moment ago; reload to see the latest.")
                         % {"status": handover.get_status_display()})


def handover_acknowledge(*, actor, handover: Handover, external_reference: str) -> Handover:
    membership = _side(actor, handover, "receiver", "handover.acknowledge")
    external_reference = _text(external_reference, "external_reference", required=True,
                               max_length=EXTERNAL_REFERENCE_MAX_LENGTH,
                               message=_("Give your own reference, for example the police case number."))
    with transaction.atomic():
        handover = _locked(handover)
        if handover.status != Status.PENDING:
            raise _conflict(handover)
        handover.status = Status.ACKNOWLEDGED
        handover.acknowledged_at = timezone.now()
        handover.acknowledged_by = actor
        handover.external_reference = external_reference
        handover.next_escalation_at = None
        handover.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "external_reference",
                                     "next_escalation_at"])
        _audit(actor, membership, handover, "handover.acknowledged", before=Status.PENDING,
               after=Status.ACKNOWLEDGED, external_reference=external_reference)
        _notify(handover, Event.HANDOVER_ACKNOWLEDGED, _sender_ids(handover), "acknowledged",
                agency=handover.receiving_agency)
    return handover


def handover_accept(*, actor, handover: Handover) -> Handover:
    membership = _side(actor, handover, "receiver", "handover.accept")
    return _answer(actor, membership, handover, Status.ACCEPTED, Event.HANDOVER_ACCEPTED)


def handover_decline(*, actor, handover: Handover, reason: str) -> Handover:
    membership = _side(actor, handover, "receiver", "handover.decline")
    reason = _text(reason, "reason", required=True, message=_("Write why you decline it."))
    return _answer(actor, membership, handover, Status.DECLINED, Event.HANDOVER_DECLINED, reason=reason)


def _answer(actor, membership, handover: Handover, answer: str, event: str, *, reason: str | None = None) -> Handover:
    """The receiver's answer to an acknowledged handover: accepted, or declined with a reason."""
    with transaction.atomic():
        handover = _locked(handover)
        if handover.status != Status.ACKNOWLEDGED:
            raise _conflict(handover)
        handover.status = answer
        handover.answered_at = timezone.now()
        handover.answered_by = actor
        fields = ["status", "answered_at", "answered_by"]
        details = {}
        if reason is not None:
            handover.decline_reason = details["reason"] = reason
            fields.append("decline_reason")
        handover.save(update_fields=fields)
        _audit(actor, membership, handover, f"handover.{answer}", before=Status.ACKNOWLEDGED, after=answer,
               **details)
        _notify(handover, event, _sender_ids(handover), "answered", agency=handover.receiving_agency)
    return handover


# --- the sender revokes ----------------------------------------------------------------


def handover_revoke(*, actor, handover: Handover, reason: str = "") -> Handover:
    membership = _side(actor, handover, "sender", "handover.revoke")
    reason = _text(reason, "reason", required=False)
    with transaction.atomic():
        handover = _locked(handover)
        if handover.status != Status.PENDING:
            raise _conflict(handover)
        handover.status = Status.REVOKED
        handover.revoked_at = timezone.now()
        handover.revoked_by = actor
        handover.revoke_reason = reason
        handover.next_escalation_at = None
        handover.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason", "next_escalation_at"])
        _audit(actor, membership, handover, "handover.revoked", before=Status.PENDING, after=Status.REVOKED,
               reason=reason)
        _notify(handover, Event.HANDOVER_REVOKED, _receiver_ids(handover), "revoked",
                agency=handover.sending_agency)
    return handover


# --- messages --------------------------------------------------------------------------


def handover_message_post(*, actor, handover: Handover, text: str) -> HandoverMessage:
    """Either side writes on the handover (typically the receiver asking for more
    information); the other side is told."""
    membership = (handover_membership(actor, handover, side="receiver")
                  or handover_membership(actor, handover, side="sender"))
    if membership is None:
        raise _denied(actor, "handover.message", handover)
    text = _text(text, "text", required=True, message=_("Write the message."))
    with transaction.atomic():
        handover = _locked(handover)
        if handover.status == Status.REVOKED:
            raise _conflict(handover)
        message = HandoverMessage.objects.create(handover=handover, author=actor, agency=membership.agency,
                                                 text=text)
        from_receiver = membership.agency_id == handover.receiving_agency_id
        others = (_sender_ids(handover) if from_receiver else _receiver_ids(handover)) - {actor.pk}
        _audit(actor, membership, handover, "handover.message_posted", message=message.pk,
               side="receiver" if from_receiver else "sender")
        _notify(handover, Event.HANDOVER_MESSAGE, others, f"message:{message.pk}", agency=membership.agency)
    return message
