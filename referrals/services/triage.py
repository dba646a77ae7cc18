"""Triage by the child welfare service: decisions (a state machine), statutory deadlines,
feedback to the reporter, caseworker assignment, cases and internal notes.

Each write locks the referral row first (select_for_update), checks the transition is
allowed from the state it finds, and then changes, audits and notifies in the same
transaction: of two coordinators deciding at once, one wins and the other gets a
ConflictError that says what happened."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, remove_perm

from agencies import roles
from agencies.models import Agency, Membership
from audit.recorder import record
from config.exceptions import ConflictError

from .. import clocks, notifications
from . import disclosures
from ..models import (
    Assignment,
    Case,
    Deadline,
    Decision,
    Disclosure,
    Feedback,
    Handover,
    LegalBasis,
    Note,
    Notification,
    Referral,
    Routing,
    StatutoryClock,
)

Kind = Decision.Kind
Status = Referral.Status
Clock = StatutoryClock.Code
WORK_PERMISSION = "referrals.work_on_referral"

# From which statuses each decision may be taken, and the status it leads to (None: unchanged).
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    Kind.OPEN_INVESTIGATION: (frozenset({Status.SUBMITTED, Status.EMERGENCY}), Status.INVESTIGATING),
    Kind.DISMISS: (frozenset({Status.SUBMITTED, Status.EMERGENCY}), Status.DISMISSED),
    Kind.EMERGENCY_MEASURE: (frozenset({Status.SUBMITTED, Status.INVESTIGATING}), Status.EMERGENCY),
    Kind.FORWARD: (frozenset(Referral.OPEN_STATUSES), None),
    Kind.REROUTE: (frozenset({Status.SUBMITTED}), None),
    Kind.EXTEND_INVESTIGATION: (frozenset({Status.INVESTIGATING}), None),
    Kind.CLOSE_INVESTIGATION: (frozenset({Status.INVESTIGATING}), Status.CLOSED),
}
NEEDS_JUSTIFICATION = {Kind.DISMISS, Kind.EMERGENCY_MEASURE, Kind.EXTEND_INVESTIGATION}


# --- who may act -----------------------------------------------------------------------


def _membership(actor, referral: Referral, action: str, *, kinds=(Agency.Kind.CHILD_WELFARE,)) -> Membership:
    """The actor's membership, in an agency the referral is routed to, that allows `action`."""
    membership = (roles.memberships_for(actor, action)
                  .filter(agency__routings__referral=referral, agency__routings__rerouted_at__isnull=True,
                          agency__kind__in=kinds)
                  .order_by("pk").first())
    if membership is None:
        record(action=action, actor=actor, outcome="denied", target=referral, child_id=referral.child_id)
        raise PermissionDenied(_("Your role does not allow this on this referral."))
    return membership


def _locked(referral: Referral) -> Referral:
    return Referral.objects.select_for_update().get(pk=referral.pk)


# --- deadlines -------------------------------------------------------------------------


def deadline_open(*, referral: Referral, code: str, start, actor=None) -> Deadline:
    clock = clocks.clock(code)
    due_at = clocks.due_for(clock, start)
    deadline, _created = Deadline.objects.update_or_create(
        referral=referral, kind=code,
        defaults={"clock": clock, "starts_at": start, "due_at": due_at, "state": Deadline.State.OPEN,
                  "met_at": None},
    )
    record(action="deadline.opened", actor=actor, target=deadline, child_id=referral.child_id,
           changes={"reference": referral.reference, "kind": code, "due_at": due_at,
                    "law": clock.law_reference})
    return deadline


def _deadline_close(referral: Referral, code: str, state=Deadline.State.MET) -> None:
    now = timezone.now()
    closed = Deadline.objects.filter(referral=referral, kind=code, state=Deadline.State.OPEN).update(
        state=state, met_at=now if state == Deadline.State.MET else None)
    if closed:
        record(action=f"deadline.{state}", target_type="referrals.deadline", child_id=referral.child_id,
               changes={"reference": referral.reference, "kind": code})


def open_deadlines_at_receipt(referral: Referral, *, actor=None) -> Deadline:
    """The review clock and the reporter's receipt clock start when a referral is received."""
    review = deadline_open(referral=referral, code=Clock.REVIEW, start=referral.submitted_at, actor=actor)
    deadline_open(referral=referral, code=Clock.FEEDBACK_RECEIPT, start=referral.submitted_at, actor=actor)
    return review


def _sync_queue(referral: Referral) -> None:
    """Keep the queue's copies on the routings in step with the referral."""
    next_due = (Deadline.objects.filter(referral=referral, state=Deadline.State.OPEN)
                .exclude(kind__in=[Clock.FEEDBACK_RECEIPT, Clock.FEEDBACK_AFTER_INVESTIGATION])
                .order_by("due_at").values_list("due_at", flat=True).first())
    Routing.objects.filter(referral=referral).update(status=referral.status, caseworker=referral.caseworker_id)
    routings = Routing.objects.filter(referral=referral, agency__kind=Agency.Kind.CHILD_WELFARE)
    if not referral.is_open:
        routings.update(is_open=False, urgency=referral.urgency)
    elif next_due is not None:
        routings.filter(is_open=True).update(urgency=referral.urgency, due_at=next_due)


# --- decisions -------------------------------------------------------------------------


def referral_decide(*, actor, referral: Referral, kind: str, justification: str = "",
                    target_agency: Agency | None = None, legal_basis: LegalBasis | None = None) -> Decision:
    if kind not in TRANSITIONS:
        raise ValidationError({"kind": [_("Unknown decision.")]})
    membership = _membership(actor, referral, roles.DECIDE)
    with transaction.atomic():
        return _decide(actor, membership, referral, kind, (justification or "").strip(), target_agency,
                       legal_basis)


def _decide(actor, membership, referral, kind, justification, target_agency, legal_basis) -> Decision:
    referral = _locked(referral)
    allowed_from, next_status = TRANSITIONS[kind]
    if referral.status not in allowed_from:
        raise ConflictError(_("This decision cannot be taken now: the referral is «%(status)s». "
                              "Someone may have decided it a moment ago; reload to see the latest.")
                            % {"status": referral.get_status_display()})
    errors: dict[str, list[str]] = {}
    if kind in NEEDS_JUSTIFICATION and not justification:
        errors["justification"] = [_("Write the justification: the law requires it.")]
    if kind in (Kind.FORWARD, Kind.REROUTE) and target_agency is None:
        errors["target_agency"] = [_("Choose the agency.")]
    if kind == Kind.FORWARD and legal_basis is None:
        errors["legal_basis"] = [_("Choose the legal basis for sharing.")]
    elif kind == Kind.FORWARD and target_agency is not None:
        problem = disclosures.basis_problem(legal_basis, target_agency)
        if not problem and not legal_basis.allows_without_consent:
            problem = _("Forwarding needs a legal basis that allows sharing without consent. To share by "
                        "consent, hand the referral over instead.")
        if problem:
            errors["legal_basis"] = [problem]
    if kind == Kind.REROUTE and target_agency is not None and (
            target_agency.kind != Agency.Kind.CHILD_WELFARE or target_agency.pk == membership.agency_id):
        errors["target_agency"] = [_("Choose another municipality's child welfare service.")]
    if kind == Kind.EXTEND_INVESTIGATION and Deadline.objects.filter(
            referral=referral, kind=Clock.INVESTIGATION).exclude(extension_reason="").exists():
        raise ConflictError(_("The investigation has already been extended once."))
    if errors:
        raise ValidationError(errors)

    before = referral.status
    decision = Decision.objects.create(
        referral=referral, agency=membership.agency, kind=kind, justification=justification,
        target_agency=target_agency, legal_basis=legal_basis, decided_by=actor)
    review = Deadline.objects.filter(referral=referral, kind=Clock.REVIEW).first()
    if kind in (Kind.OPEN_INVESTIGATION, Kind.DISMISS, Kind.EMERGENCY_MEASURE):
        _deadline_close(referral, Clock.REVIEW)
    if kind == Kind.OPEN_INVESTIGATION:
        # § 2-2: three months counted from the review deadline.
        deadline_open(referral=referral, code=Clock.INVESTIGATION, actor=actor,
                      start=review.due_at if review else timezone.now())
    elif kind == Kind.EXTEND_INVESTIGATION:
        investigation = Deadline.objects.select_for_update().get(referral=referral, kind=Clock.INVESTIGATION)
        extended = clocks.clock(Clock.INVESTIGATION_EXTENDED)
        investigation.due_at = clocks.due_for(extended, investigation.starts_at)
        investigation.extension_reason = justification
        investigation.save(update_fields=["due_at", "extension_reason"])
        record(action="deadline.extended", actor=actor, membership=membership, target=investigation,
               child_id=referral.child_id, changes={"due_at": investigation.due_at, "law": extended.law_reference})
    elif kind == Kind.CLOSE_INVESTIGATION:
        _deadline_close(referral, Clock.INVESTIGATION)
        deadline_open(referral=referral, code=Clock.FEEDBACK_AFTER_INVESTIGATION, start=timezone.now(),
                      actor=actor)
    elif kind in (Kind.FORWARD, Kind.REROUTE):
        _route_onwards(actor, membership, referral, kind, target_agency, legal_basis, review)
    if next_status is not None:
        referral.status = next_status
        referral.save(update_fields=["status", "updated_at"])
    _sync_queue(referral)
    # A decision is the deciding agency's answer: its routing counts as acknowledged.
    Routing.objects.filter(referral=referral, agency=membership.agency, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=actor, next_escalation_at=None)
    record(action="referral.decided", actor=actor, membership=membership, target=referral,
           child_id=referral.child_id, legal_basis=legal_basis.code if legal_basis else "",
           changes={"decision": kind, "before": before, "after": referral.status,
                    "target_agency": target_agency.pk if target_agency else None})
    return decision


def _route_onwards(actor, membership, referral, kind, target_agency, legal_basis, review) -> None:
    """Forward: a new routing with its legal basis. Re-route: the right municipality's
    child welfare service takes over; the clock keeps running from the original receipt."""
    own = Routing.objects.select_related("legal_basis").get(referral=referral, agency=membership.agency)
    basis = legal_basis or own.legal_basis
    # What the sender received without the child's identity it cannot pass on with it,
    # unless a consent covers the new agency.
    authorisation, withheld = disclosures.routing_authorise(
        actor=actor, referral=referral, sending_agency=membership.agency, recipient=target_agency,
        legal_basis=basis, identity_available=not own.identity_withheld)
    acknowledge_by = clocks.routing_acknowledge_by(timezone.now())
    routing, created = Routing.objects.get_or_create(
        referral=referral, agency=target_agency,
        defaults={"legal_basis": basis, "urgency": referral.urgency,
                  "due_at": review.due_at if review else referral.submitted_at,
                  "acknowledge_by": acknowledge_by, "next_escalation_at": acknowledge_by,
                  "identity_withheld": withheld, "consent": authorisation.consent})
    if not created and (not routing.is_open or routing.rerouted_at):
        Routing.objects.filter(pk=routing.pk).update(is_open=True, rerouted_at=None)
    record(action="referral.routed", actor=actor, membership=membership, target=routing,
           child_id=referral.child_id, legal_basis=basis.code,
           changes={"reference": referral.reference, "agency": target_agency.pk, "by_decision": kind,
                    "identity_withheld": routing.identity_withheld})
    disclosures.disclosure_record(
        actor=actor, membership=membership, referral=referral, kind=Disclosure.Kind.ROUTING,
        sending_agency=membership.agency, recipient=target_agency,
        scope=[part for part in Handover.Scope.values
               if part != Handover.Scope.NOTES and not (routing.identity_withheld and part == Handover.Scope.IDENTITY)],
        purpose=kind, authorisation=authorisation, routing=routing)
    if kind == Kind.REROUTE:
        Routing.objects.filter(referral=referral, agency=membership.agency).update(
            is_open=False, rerouted_at=timezone.now())
        if target_agency.municipality_id:
            referral.child.municipality_id = target_agency.municipality_id
            referral.child.save(update_fields=["municipality"])
    notifications.enqueue(event=Notification.Event.REFERRAL_ROUTED, referral=referral, agency=target_agency,
                          recipient_ids=notifications.recipients_for_routing(target_agency))


# --- feedback to the reporter ----------------------------------------------------------

FEEDBACK_MEETS = {Feedback.Kind.RECEIPT: Clock.FEEDBACK_RECEIPT,
                  Feedback.Kind.INVESTIGATION_CLOSED: Clock.FEEDBACK_AFTER_INVESTIGATION}


@transaction.atomic
def feedback_send(*, actor, referral: Referral, kind: str, message: str = "") -> Feedback:
    membership = _membership(actor, referral, roles.DECIDE)
    referral = _locked(referral)
    if kind not in Feedback.Kind.values:
        raise ValidationError({"kind": [_("Unknown kind of feedback.")]})
    feedback = Feedback(referral=referral, kind=kind, message=(message or "").strip(), sent_by=actor)
    feedback.full_clean(exclude=["referral", "sent_by"])
    feedback.save()
    if kind in FEEDBACK_MEETS:
        _deadline_close(referral, FEEDBACK_MEETS[kind])
    record(action="referral.feedback_sent", actor=actor, membership=membership, target=feedback,
           child_id=referral.child_id, changes={"reference": referral.reference, "kind": kind})
    notifications.enqueue(event=Notification.Event.FEEDBACK_SENT, referral=referral, agency=membership.agency,
                          recipient_ids=[referral.reporter_id])
    return feedback


# --- caseworker assignment -------------------------------------------------------------


@transaction.atomic
def caseworker_assign(*, actor, referral: Referral, caseworker) -> Assignment:
    membership = _membership(actor, referral, roles.ASSIGN_CASEWORKER)
    if not roles.memberships_for(caseworker, roles.BE_ASSIGNED).filter(agency=membership.agency).exists():
        raise ValidationError({"caseworker": [_("Choose a caseworker in your agency.")]})
    referral = _locked(referral)
    if referral.caseworker_id == caseworker.pk:
        return Assignment.objects.get(referral=referral, ended_at__isnull=True)
    previous = referral.caseworker
    _end_assignment(actor, membership, referral)
    assignment = Assignment.objects.create(referral=referral, caseworker=caseworker, assigned_by=actor)
    assign_perm(WORK_PERMISSION, caseworker, referral)
    referral.caseworker = caseworker
    referral.save(update_fields=["caseworker", "updated_at"])
    _sync_queue(referral)
    record(action="referral.assigned", actor=actor, membership=membership, target=referral,
           child_id=referral.child_id,
           changes={"caseworker": caseworker.pk, "previous": previous.pk if previous else None,
                    "permission": WORK_PERMISSION})
    notifications.enqueue(event=Notification.Event.ASSIGNED, referral=referral, agency=membership.agency,
                          recipient_ids=[caseworker.pk])
    return assignment


@transaction.atomic
def caseworker_unassign(*, actor, referral: Referral) -> None:
    membership = _membership(actor, referral, roles.ASSIGN_CASEWORKER)
    referral = _locked(referral)
    if referral.caseworker_id is None:
        return
    _end_assignment(actor, membership, referral)
    referral.caseworker = None
    referral.save(update_fields=["caseworker", "updated_at"])
    _sync_queue(referral)


def _end_assignment(actor, membership, referral: Referral) -> None:
    current = Assignment.objects.filter(referral=referral, ended_at__isnull=True).select_related("caseworker").first()
    if current is None:
        return
    Assignment.objects.filter(pk=current.pk).update(ended_at=timezone.now())
    remove_perm(WORK_PERMISSION, current.caseworker, referral)
    record(action="referral.unassigned", actor=actor, membership=membership, target=referral,
           child_id=referral.child_id, changes={"caseworker": current.caseworker_id, "permission": WORK_PERMISSION})


# --- cases -----------------------------------------------------------------------------


@transaction.atomic
def case_link(*, actor, referrals: list[Referral]) -> Case:
    """Join referrals about one child into one case (an existing case among them is kept)."""
    if len(referrals) < 2:
        raise ValidationError({"references": [_("Choose at least two referrals to link.")]})
    memberships = [_membership(actor, r, roles.DECIDE) for r in referrals]
    agency = memberships[0].agency
    if any(m.agency_id != agency.pk for m in memberships):
        raise PermissionDenied(_("You can only link referrals your own agency has received."))
    locked = list(Referral.objects.select_for_update().filter(pk__in=[r.pk for r in referrals]).order_by("pk"))
    cases = {r.case_id for r in locked if r.case_id}
    if len(cases) > 1:
        raise ConflictError(_("These referrals already belong to different cases. Unlink one first."))
    case = Case.objects.get(pk=cases.pop()) if cases else Case.objects.create(agency=agency, created_by=actor)
    for referral in locked:
        if referral.case_id != case.pk:
            referral.case = case
            referral.save(update_fields=["case", "updated_at"])
            record(action="case.linked", actor=actor, membership=memberships[0], target=referral,
                   child_id=referral.child_id, changes={"case": case.pk, "reference": referral.reference})
    return case


@transaction.atomic
def case_unlink(*, actor, referral: Referral) -> None:
    membership = _membership(actor, referral, roles.DECIDE)
    referral = _locked(referral)
    if referral.case_id is None:
        raise ConflictError(_("This referral is not linked to a case."))
    case_id = referral.case_id
    referral.case = None
    referral.save(update_fields=["case", "updated_at"])
    record(action="case.unlinked", actor=actor, membership=membership, target=referral,
           child_id=referral.child_id, changes={"case": case_id, "reference": referral.reference})


# --- internal notes --------------------------------------------------------------------


@transaction.atomic
def note_add(*, actor, referral: Referral, text: str) -> Note:
    from ..access import grant_for

    grant = grant_for(actor, referral)
    if grant is None or grant.role not in roles.roles_for(roles.WRITE_NOTE):
        record(action=roles.WRITE_NOTE, actor=actor, outcome="denied", target=referral, child_id=referral.child_id)
        raise PermissionDenied(_("Your role does not allow this on this referral."))
    membership = Membership(agency=grant.agency, role=grant.role)
    note = Note(referral=referral, agency=membership.agency, author=actor, text=(text or "").strip())
    note.full_clean(exclude=["referral", "agency", "author"])
    note.save()
    record(action="note.added", actor=actor, membership=membership, target=note, child_id=referral.child_id,
           changes={"reference": referral.reference})
    return note
