"""Consent to share: recording it, withdrawing it, and its expiry (Celery beat).

The age rule: from 15 the child's own consent is the one asked for, and the guardians' view
is recorded so a conflict shows; under 15 a guardian gives it, and the child is heard (the
child's own view is recorded, and an objection shows as a conflict). When a consent is
withdrawn or expires, nothing more leaves under it (disclosures.disclosure_authorise
refuses), the access that rested on it ends (handovers relying on it close to the
receiving agency) and the recipients are told; access on another basis stays.

A written consent may carry its document (a scan or photo): checked here (at most
DOCUMENT_MAX_BYTES, PDF, PNG or JPEG by its first bytes, not empty), stored in private
storage under a random name with its SHA-256, and audited by checksum only: the client's
file name, which may name the child, is kept for the consent page and goes nowhere else."""

import logging
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Agency, Membership
from audit.models import AuditEvent
from audit.recorder import record
from config.exceptions import ConflictError

from .. import notifications
from .. import documents
from ..models import Consent, Disclosure, Guardian, Handover, LegalBasis, Notification, Referral, Routing
from . import disclosures
from ..models.consent import CHILD_CONSENTS_FROM_AGE, TEXT_MAX_LENGTH
from ..routing import age_on

logger = logging.getLogger(__name__)
Giver = Consent.Giver
View = Consent.View


def consent_membership(actor, referral: Referral) -> Membership | None:
    """The actor's membership, in an agency the referral is routed to, that may record consent."""
    return (roles.memberships_for(actor, roles.MANAGE_CONSENT)
            .filter(agency__routings__referral=referral, agency__routings__rerouted_at__isnull=True)
            .order_by("pk").first())


def _membership(actor, referral: Referral, action: str) -> Membership:
    membership = consent_membership(actor, referral)
    if membership is None:
        record(action=action, actor=actor, outcome=AuditEvent.Outcome.DENIED, target=referral,
               child_id=referral.child_id, changes={"reference": referral.reference})
        raise PermissionDenied(_("Your role does not allow recording consent on this referral."))
    return membership


def child_age(referral: Referral) -> int | None:
    child = referral.child
    return age_on(timezone.localdate(), child.date_of_birth, child.estimated_age)


def age_rule_error(age: int | None, given_by: str) -> str:
    """The age rule ("" when it holds). With no age known the rule cannot be applied."""
    if age is None:
        return ""
    if age >= CHILD_CONSENTS_FROM_AGE and given_by != Giver.CHILD:
        return _("The child is %(age)d: from 15 the child's own consent is the one asked for.") % {"age": age}
    if age < CHILD_CONSENTS_FROM_AGE and given_by == Giver.CHILD:
        return _("The child is %(age)d: under 15 a guardian gives consent, and the child's own view is "
                 "recorded.") % {"age": age}
    return ""


def _validate(referral: Referral, membership: Membership, *, given_by, child_view, child_view_note,
              guardians_view, recipients, purposes, form, valid_from, valid_until, age,
              document_errors=()) -> dict:
    errors: dict[str, list[str]] = {"document": list(document_errors)} if document_errors else {}
    if given_by not in Giver.values:
        errors["given_by"] = [_("Choose who gives the consent.")]
    else:
        problem = age_rule_error(age, given_by)
        if problem:
            errors["given_by"] = [problem]
        elif given_by != Giver.CHILD and not Guardian.objects.filter(
                referral=referral, position=int(given_by[-1])).exists():
            errors["given_by"] = [_("The referral names no such guardian.")]
    if child_view not in View.values:
        errors["child_view"] = [_("Record the child's own view: the child has a right to be heard.")]
    elif given_by == Giver.CHILD and child_view != View.AGREES:
        errors["child_view"] = [_("The child gives this consent, so the child's view is that they agree.")]
    if guardians_view not in View.values:
        errors["guardians_view"] = [_("Unknown view.")]
    if len(child_view_note or "") > TEXT_MAX_LENGTH:
        errors["child_view_note"] = [_("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH}]
    recipients = list(dict.fromkeys(recipients or []))
    if not recipients:
        errors["recipients"] = [_("Choose the agencies the consent lets you share with.")]
    elif any(not a.is_active or (a.pk == membership.agency_id and Consent.Purpose.ROUTING not in (purposes or []))
             for a in recipients):
        # Your own agency is a recipient only of the routing purpose: to see who the child
        # is in a concern it received without identity.
        errors["recipients"] = [_("Choose other, active agencies.")]
    purposes = list(dict.fromkeys(purposes or []))
    if not purposes:
        errors["purposes"] = [_("Choose what the information may be used for.")]
    elif any(p not in Consent.Purpose.values for p in purposes):
        errors["purposes"] = [_("Unknown purpose.")]
    if form not in Consent.Form.values:
        errors["form"] = [_("Choose whether the consent was given in writing or orally.")]
    if valid_until is not None and valid_until <= max(valid_from, timezone.now()):
        errors["valid_until"] = [_("The end of validity must be in the future and after its start.")]
    if errors:
        raise ValidationError(errors)
    return {"recipients": recipients, "purposes": [p for p in Consent.Purpose.values if p in purposes]}


def consent_record(*, actor, referral: Referral, given_by: str, child_view: str, recipients: list[Agency],
                   purposes: list[str], form: str, child_view_note: str = "", guardians_view: str = View.NOT_ASKED,
                   valid_from: datetime | None = None, valid_until: datetime | None = None,
                   document: UploadedFile | None = None) -> Consent:
    """A coordinator of an agency the referral is routed to records a consent."""
    return _record(membership=_membership(actor, referral, "consent.record"), actor=actor, referral=referral,
                   given_by=given_by, child_view=child_view, recipients=recipients, purposes=purposes, form=form,
                   child_view_note=child_view_note, guardians_view=guardians_view, valid_from=valid_from,
                   valid_until=valid_until, document=document)


def consent_record_by_reporter(*, actor, referral: Referral, given_by: str, child_view: str, form: str,
                               child_view_note: str = "", document: UploadedFile | None = None) -> Consent:
    """The reporter, who knows the family, records a consent obtained after filing: it names
    the agencies that received the concern without the child's identity, for the routing
    purpose, and shows them who the child is."""
    membership = (roles.memberships_for(actor, roles.FILE_REFERRAL).filter(agency_id=referral.reporting_agency_id)
                  .order_by("pk").first() if referral.reporter_id == actor.pk else None)
    if membership is None:
        record(action="consent.record", actor=actor, outcome=AuditEvent.Outcome.DENIED, target=referral,
               child_id=referral.child_id, changes={"reference": referral.reference})
        raise PermissionDenied(_("Only the reporter can record a consent here."))
    waiting = list(Agency.objects.filter(routings__referral=referral, routings__identity_withheld=True,
                                         routings__rerouted_at__isnull=True).order_by("pk"))
    if not waiting:
        raise ConflictError(_("Every agency that received this concern already sees who the child is."))
    return _record(membership=membership, actor=actor, referral=referral, given_by=given_by, child_view=child_view,
                   recipients=waiting, purposes=[Consent.Purpose.ROUTING], form=form,
                   child_view_note=child_view_note, document=document)


def _record(*, membership: Membership, actor, referral: Referral, given_by: str, child_view: str,
            recipients: list[Agency], purposes: list[str], form: str, child_view_note: str = "",
            guardians_view: str = View.NOT_ASKED, valid_from: datetime | None = None,
            valid_until: datetime | None = None, document: UploadedFile | None = None) -> Consent:
    valid_from = valid_from or timezone.now()
    checked, document_errors = documents.inspect(document)
    with documents.atomic_with_files() as written:
        referral = Referral.objects.select_for_update().select_related("child").get(pk=referral.pk)
        if referral.is_draft:
            raise ConflictError(_("A draft has no consent to record."))
        age = child_age(referral)
        clean = _validate(referral, membership, given_by=given_by, child_view=child_view,
                          child_view_note=child_view_note, guardians_view=guardians_view, recipients=recipients,
                          purposes=purposes, form=form, valid_from=valid_from, valid_until=valid_until, age=age,
                          document_errors=document_errors)
        consent = Consent(
            referral=referral, agency=membership.agency, given_by=given_by, child_age=age, child_view=child_view,
            child_view_note=(child_view_note or "").strip(), guardians_view=guardians_view,
            purposes=clean["purposes"], form=form, recorded_by=actor, valid_from=valid_from,
            valid_until=valid_until)
        if checked is not None:
            documents.store(consent, checked, written)
        consent.save()
        consent.recipients.set(clean["recipients"])
        record(action="consent.recorded", actor=actor, membership=membership, target=consent,
               child_id=referral.child_id, legal_basis="consent",
               changes={"reference": consent.reference, "referral": referral.reference, "given_by": given_by,
                        "child_age": age, "child_view": child_view, "guardians_view": guardians_view,
                        "conflict": consent.has_conflict, "form": form,
                        "recipients": [a.pk for a in clean["recipients"]], "purposes": clean["purposes"],
                        "valid_from": valid_from, "valid_until": valid_until,
                        "document": checked is not None,
                        "document_sha256": checked.sha256 if checked is not None else None})
        _share_identity(consent, actor=actor, membership=membership)
    return consent


def consent_attach_document(*, actor, consent: Consent, document: UploadedFile | None) -> Consent:
    """Attach the document of a consent recorded without one (it came in later). A withdrawn
    consent, or one that has its document, takes none (409)."""
    membership = _membership(actor, consent.referral, "consent.document_attach")
    checked, errors = documents.inspect(document)
    if document is None:
        errors = [_("Choose the file to attach.")]
    if errors:
        raise ValidationError({"document": errors})
    with documents.atomic_with_files() as written:
        consent = Consent.objects.select_for_update(of=("self",)).select_related("referral").get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            raise ConflictError(_("This consent was withdrawn: no document can be attached to it."))
        if consent.document:
            raise ConflictError(_("This consent already has a document."))
        documents.store(consent, checked, written)
        consent.save(update_fields=["document", "document_name", "document_type", "document_sha256"])
        record(action="consent.document_attached", actor=actor, membership=membership, target=consent,
               child_id=consent.referral.child_id, legal_basis="consent",
               changes={"reference": consent.reference, "referral": consent.referral.reference,
                        "document_type": checked.content_type, "document_sha256": checked.sha256})
    return consent


def _share_identity(consent: Consent, *, actor, membership: Membership) -> list[Routing]:
    """The agencies that received the referral without the child's identity, and that this
    consent covers for the routing purpose, now see who the child is: a disclosure of the
    identity on the consent, audited, and the agency told."""
    if Consent.Purpose.ROUTING not in consent.purposes:
        return []
    routings = list(Routing.objects.select_for_update().select_related("agency")
                    .filter(referral=consent.referral, identity_withheld=True, agency__in=consent.recipients.all())
                    .order_by("pk"))
    for routing in routings:
        routing.identity_withheld = False
        routing.consent = consent
        routing.save(update_fields=["identity_withheld", "consent"])
        authorisation = disclosures.disclosure_authorise(
            actor=actor, referral=consent.referral, sending_agency=consent.referral.reporting_agency,
            recipient=routing.agency, legal_basis=LegalBasis.objects.get(code="consent"),
            purpose=Consent.Purpose.ROUTING, consent=consent)
        disclosures.disclosure_record(
            actor=actor, membership=membership, referral=consent.referral, kind=Disclosure.Kind.ROUTING,
            sending_agency=consent.referral.reporting_agency, recipient=routing.agency,
            scope=[Handover.Scope.IDENTITY], purpose=Consent.Purpose.ROUTING, authorisation=authorisation,
            routing=routing)
        record(action="routing.identity_shared", actor=actor, membership=membership, target=routing,
               child_id=consent.referral.child_id, legal_basis="consent",
               changes={"reference": consent.referral.reference, "agency": routing.agency_id,
                        "consent": consent.reference})
        notifications.enqueue(
            event=Notification.Event.IDENTITY_SHARED, referral=consent.referral, agency=routing.agency,
            key=f"routing:{routing.pk}:identity:{consent.pk}",
            recipient_ids=notifications.recipients_for_routing(routing.agency))
    return routings


def consent_withdraw(*, actor, consent: Consent, withdrawn_by: str, note: str = "") -> Consent:
    """Record that the child or a guardian withdrew the consent; end what rested on it."""
    membership = _membership(actor, consent.referral, "consent.withdraw")
    errors = {}
    if withdrawn_by not in Giver.values:
        errors["withdrawn_by"] = [_("Choose who withdrew the consent.")]
    note = (note or "").strip()
    if len(note) > TEXT_MAX_LENGTH:
        errors["note"] = [_("At most %(n)d characters.") % {"n": TEXT_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Lock in the order disclosures lock (the referral, then the consent), so a handover
        # sent at this moment either goes first, and its access ends here, or sees the withdrawal.
        Referral.objects.select_for_update().filter(pk=consent.referral_id).first()
        consent = Consent.objects.select_for_update(of=("self",)).select_related("referral").get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            raise ConflictError(_("This consent was already withdrawn."))
        now = timezone.now()
        consent.withdrawn_at = now
        consent.withdrawn_by = withdrawn_by
        consent.withdrawal_recorded_by = actor
        consent.withdrawal_note = note
        consent.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_recorded_by", "withdrawal_note"])
        record(action="consent.withdrawn", actor=actor, membership=membership, target=consent,
               child_id=consent.referral.child_id, legal_basis="consent",
               changes={"reference": consent.reference, "referral": consent.referral.reference,
                        "withdrawn_by": withdrawn_by})
        _end_access(consent, now=now, actor=actor, membership=membership, why="withdrawn")
    return consent


def _end_access(consent: Consent, *, now, actor, membership, why: str) -> list[Handover]:
    """The handovers that relied on this consent stop disclosing anything to the receiving
    agency; its people are told. Routings and handovers on other bases are untouched."""
    if consent.ended_at is None:
        consent.ended_at = now
        consent.save(update_fields=["ended_at"])
    for routing in (Routing.objects.select_for_update().select_related("agency", "referral")
                    .filter(consent=consent, identity_withheld=False).order_by("pk")):
        # The identity went on this consent: from now on the agency sees the concern without it.
        routing.identity_withheld = True
        routing.save(update_fields=["identity_withheld"])
        record(action="routing.identity_withheld", actor=actor, membership=membership, target=routing,
               child_id=routing.referral.child_id, legal_basis="consent",
               changes={"reference": routing.referral.reference, "agency": routing.agency_id,
                        "consent": consent.reference, "why": why})
        notifications.enqueue(
            event=Notification.Event.CONSENT_ENDED, referral=routing.referral, agency=routing.agency,
            key=f"routing:{routing.pk}:consent-ended:{consent.pk}",
            recipient_ids=notifications.recipients_for_routing(routing.agency))
    handovers = list(Handover.objects.select_for_update().select_related("receiving_agency", "referral")
                     .filter(consent=consent, access_ended_at__isnull=True).order_by("pk"))
    for handover in handovers:
        handover.access_ended_at = now
        handover.next_escalation_at = None
        handover.save(update_fields=["access_ended_at", "next_escalation_at"])
        record(action="handover.access_ended", actor=actor, membership=membership, target=handover,
               child_id=handover.referral.child_id, legal_basis="consent",
               changes={"reference": handover.reference, "referral": handover.referral.reference,
                        "consent": consent.reference, "why": why, "receiving_agency": handover.receiving_agency_id})
        notifications.enqueue(
            event=Notification.Event.CONSENT_ENDED, referral=handover.referral, agency=handover.receiving_agency,
            handover=handover, key=f"handover:{handover.pk}:consent-ended",
            recipient_ids=notifications.recipients_in(handover.receiving_agency, roles.ANSWER_HANDOVER))
    return handovers


def consents_expire(*, now: datetime | None = None) -> int:
    """End the access that rested on consents whose validity ran out (Celery beat). Each
    consent in its own transaction; one locked by a withdrawal right now is left for the
    next run."""
    now = now or timezone.now()
    due = list(Consent.objects.filter(ended_at__isnull=True, withdrawn_at__isnull=True, valid_until__lte=now)
               .order_by("valid_until", "pk").values_list("pk", flat=True)[:500])
    ended = 0
    for pk in due:
        with transaction.atomic():
            referral_id = Consent.objects.filter(pk=pk).values_list("referral_id", flat=True).first()
            if Referral.objects.select_for_update(skip_locked=True).filter(pk=referral_id).first() is None:
                continue  # busy right now (a disclosure or a withdrawal): the next run takes it
            consent = (Consent.objects.select_for_update(skip_locked=True, of=("self",)).select_related("referral")
                       .filter(pk=pk, ended_at__isnull=True, withdrawn_at__isnull=True).first())
            if consent is None:
                continue
            record(action="consent.expired", agency=consent.agency,
                   target=consent, child_id=consent.referral.child_id, legal_basis="consent",
                   changes={"reference": consent.reference, "referral": consent.referral.reference,
                            "valid_until": consent.valid_until})
            _end_access(consent, now=now, actor=None, membership=None, why="expired")
            ended += 1
    if ended:
        logger.info("Ended access on %d expired consents", ended)
    return ended
