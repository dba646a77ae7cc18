"""Filing a concern: drafts, submission (routing, matching, notification) and addenda.

Every function validates, changes, audits and enqueues notifications in one transaction;
on any error nothing is saved. Web views and the API call these same functions.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import roles
from agencies.models import Agency, Membership
from audit.models import AuditEvent
from audit.recorder import record
from config.exceptions import ConflictError

from .. import clocks, identity, matching, notifications, routing
from . import consent as consent_service
from . import disclosures, triage
from ..links import normalize_identifier
from ..models import (
    Addendum,
    Category,
    Child,
    ChildMatch,
    Consent,
    Disclosure,
    Guardian,
    Handover,
    Identifier,
    Notification,
    PersonOfConcern,
    Referral,
    Routing,
    Urgency,
)
from .intake_input import (
    ChildData,
    Errors,
    GuardianData,
    IdentifierData,
    PersonData,
    ReferralData,
    child_birth_date,
    ConsentData,
    validate_complete,
    validate_consent,
    validate_shape,
)

MATCH_CANDIDATES_PER_BIRTH_DATE = 500
ALL_PARTS = [part for part in Handover.Scope.values if part != Handover.Scope.NOTES]
WITHOUT_IDENTITY = [part for part in ALL_PARTS if part != Handover.Scope.IDENTITY]


# --- permission ------------------------------------------------------------------------


def _filing_membership(actor, agency: Agency) -> Membership:
    membership = roles.memberships_for(actor, roles.FILE_REFERRAL).filter(agency=agency).first()
    if membership is None:
        record(action="referral.create", actor=actor, agency=agency, outcome=AuditEvent.Outcome.DENIED,
               target_type="referrals.referral")
        raise PermissionDenied(_("You cannot file referrals for this agency."))
    return membership


def _own_referral_for_update(actor, referral: Referral) -> Referral:
    referral = Referral.objects.select_for_update().select_related("child", "reporting_agency").get(pk=referral.pk)
    if referral.reporter_id != actor.pk:
        raise PermissionDenied(_("Only the reporter can change this referral."))
    return referral


# --- writing ---------------------------------------------------------------------------


def _child_fields(data: ChildData, dob: date | None, number: str, municipality) -> dict:
    return {
        "given_name": data.given_name.strip(), "family_name": data.family_name.strip(),
        "date_of_birth": dob, "age_uncertain": data.age_uncertain, "estimated_age": data.estimated_age,
        "national_id_encrypted": identity.encrypt_national_id(number) if number else "",
        "national_id_digest": identity.national_id_digest(number) if number else "",
        "nationality": data.nationality.strip(), "language": data.language.strip(),
        "interpreter_needed": data.interpreter_needed, "unaccompanied_minor": data.unaccompanied_minor,
        "safe_contact": data.safe_contact.strip(), "school": data.school,
        "school_class": data.school_class.strip(), "municipality": municipality,
    }


def _urgency(categories: list[Category], data: ReferralData) -> str:
    if data.emergency_called or any(c.code == "A" for c in categories):
        return Urgency.P0
    urgency = min((c.urgency for c in categories), default=Urgency.P2)
    if data.duty_triggers and urgency > Urgency.P1:
        urgency = Urgency.P1
    return urgency


def _save(*, referral: Referral | None, actor, agency: Agency, data: ReferralData, complete: bool) -> Referral:
    """Validate everything, then write the referral, its child and its parts."""
    errors = Errors()
    categories, indicators = validate_shape(data, errors)
    dob, number = child_birth_date(data.child, errors)
    validate_consent(data, dob, errors)
    municipality = data.child.municipality or (data.child.school.municipality if data.child.school else None) \
        or agency.municipality
    if complete:
        validate_complete(data, dob, municipality, errors)
    errors.raise_if_any()

    # Indicators imply their categories.
    categories = sorted({*categories, *(i.category for i in indicators)}, key=lambda c: c.code)
    child = referral.child if referral is not None else Child()
    for name, value in _child_fields(data.child, dob, number, municipality).items():
        setattr(child, name, value)
    if referral is None:
        referral = Referral(reporter=actor, reporting_agency=agency)
    referral.duty_triggers = sorted(set(data.duty_triggers))
    referral.platforms = sorted(set(data.platforms))
    referral.concern = data.concern.strip()
    referral.observed_on = data.observed_on
    referral.observed_where = data.observed_where.strip()
    referral.emergency_called = data.emergency_called
    referral.emergency_called_at = (data.emergency_called_at or timezone.now()) if data.emergency_called else None
    referral.filing_consent = data.consent.as_json() if data.consent else {}
    referral.urgency = _urgency(categories, data)
    try:
        child.full_clean(exclude=["municipality"] if municipality is None else None)
    except ValidationError as exc:
        errors.merge(exc, "child.")
    try:
        referral.full_clean(exclude=["child", "reporter", "reporting_agency", "reference"])
    except ValidationError as exc:
        errors.merge(exc)
    errors.raise_if_any()
    if municipality is None:
        # A draft may not know the municipality yet; the model needs one: keep the agency's
        # seat if it has one, else refuse to save rather than guess.
        raise ValidationError({"child.municipality": [_("Choose the child's municipality.")]})

    child.save()
    referral.child = child
    referral.save()
    referral.categories.set(categories)
    referral.indicators.set(indicators)
    referral.guardians.all().delete()
    Guardian.objects.bulk_create([
        Guardian(referral=referral, position=i + 1, name=g.name.strip(), contact=g.contact.strip(),
                 informed=g.informed, not_informed_reason="" if g.informed else g.not_informed_reason.strip())
        for i, g in enumerate(data.guardians)
    ])
    referral.people_of_concern.all().delete()
    PersonOfConcern.objects.bulk_create([
        PersonOfConcern(referral=referral, role=p.role, name=p.name.strip(), description=p.description.strip())
        for p in data.people
    ])
    referral.identifiers.all().delete()
    Identifier.objects.bulk_create([
        Identifier(referral=referral, kind=i.kind, platform=i.platform, value=i.value.strip(),
                   normalized=normalize_identifier(i.kind, i.value))
        for i in data.identifiers
    ])
    return referral


def _summary(referral: Referral) -> dict:
    """What an audit event says about a referral's content: codes, never free text."""
    return {
        "reference": referral.reference,
        "categories": sorted(referral.categories.values_list("code", flat=True)),
        "indicators": sorted(referral.indicators.values_list("code", flat=True)),
        "duty_triggers": referral.duty_triggers,
        "urgency": referral.urgency,
        "status": referral.status,
    }


@transaction.atomic
def referral_draft_create(*, actor, reporting_agency: Agency, data: ReferralData) -> Referral:
    membership = _filing_membership(actor, reporting_agency)
    referral = _save(referral=None, actor=actor, agency=reporting_agency, data=data, complete=False)
    record(action="referral.draft_created", actor=actor, membership=membership, target=referral,
           child_id=referral.child_id, changes=_summary(referral))
    return referral


@transaction.atomic
def referral_draft_update(*, actor, referral: Referral, data: ReferralData) -> Referral:
    referral = _own_referral_for_update(actor, referral)
    if not referral.is_draft:
        raise ConflictError(_("This referral has been submitted. You can add an addendum instead."))
    before = _summary(referral)
    referral = _save(referral=referral, actor=actor, agency=referral.reporting_agency, data=data, complete=False)
    record(action="referral.draft_updated", actor=actor, agency=referral.reporting_agency, role="reporter",
           target=referral, child_id=referral.child_id, changes={"before": before, "after": _summary(referral)})
    return referral


def referral_file(*, actor, reporting_agency: Agency, data: ReferralData) -> Referral:
    """Create and submit in one step (the API's default, and the form's «Send»)."""
    membership = _filing_membership(actor, reporting_agency)
    with transaction.atomic():
        referral = _save(referral=None, actor=actor, agency=reporting_agency, data=data, complete=True)
        return _submit(referral=referral, actor=actor, membership=membership)


@transaction.atomic
def referral_submit(*, actor, referral: Referral) -> Referral:
    """Submit a draft: check it is complete, route it, suggest matches, notify."""
    referral = _own_referral_for_update(actor, referral)
    if not referral.is_draft:
        raise ConflictError(_("This referral has already been submitted."))
    membership = _filing_membership(actor, referral.reporting_agency)
    errors = Errors()
    child = referral.child
    validate_complete(draft_data(referral), child.date_of_birth, child.municipality, errors)
    errors.raise_if_any()
    return _submit(referral=referral, actor=actor, membership=membership)


def _submit(*, referral: Referral, actor, membership: Membership) -> Referral:
    now = timezone.now()
    referral.status = Referral.Status.SUBMITTED
    referral.submitted_at = now
    referral.save(update_fields=["status", "submitted_at", "updated_at"])

    decisions, unresolved = routing.decide(referral)
    matches = _suggest_matches(referral)
    record(action="referral.submitted", actor=actor, membership=membership, target=referral,
           child_id=referral.child_id,
           changes={**_summary(referral), "routed_to": [d.agency.pk for d in decisions],
                    "unresolved_kinds": unresolved, "match_suggestions": len(matches)})
    review = triage.open_deadlines_at_receipt(referral, actor=actor)
    _filing_consent(referral, actor=actor, membership=membership, decisions=decisions)
    for decision in decisions:
        within = [r.acknowledge_within for r in decision.rules if r.acknowledge_within]
        takes_unresolved = decision.agency.kind == Agency.Kind.CHILD_WELFARE and unresolved
        acknowledge_by = now + min(within) if within else clocks.routing_acknowledge_by(now)
        authorisation, withheld = disclosures.routing_authorise(
            actor=actor, referral=referral, sending_agency=referral.reporting_agency, recipient=decision.agency,
            legal_basis=decision.legal_basis)
        routing_row = Routing.objects.create(
            referral=referral, agency=decision.agency, legal_basis=decision.legal_basis,
            is_fallback=decision.is_fallback, acknowledge_by=acknowledge_by, next_escalation_at=acknowledge_by,
            unresolved_kinds=unresolved if takes_unresolved else [],
            urgency=referral.urgency, status=referral.status,
            due_at=review.due_at if decision.agency.kind == Agency.Kind.CHILD_WELFARE or not within
            else now + min(within),
            identity_withheld=withheld, consent=authorisation.consent,
        )
        routing_row.rules.set(decision.rules)
        record(action="referral.routed", actor=actor, membership=membership, target=routing_row,
               child_id=referral.child_id, legal_basis=decision.legal_basis.code,
               changes={"reference": referral.reference, "agency": decision.agency.pk,
                        "rules": [r.name for r in decision.rules], "fallback": decision.is_fallback,
                        "identity_withheld": withheld})
        # The routing discloses the referral to that agency: all of it on the rule's legal
        # basis (or the consent given on the form), or all but the child's identity.
        disclosures.disclosure_record(
            actor=actor, membership=membership, referral=referral, kind=Disclosure.Kind.ROUTING,
            sending_agency=referral.reporting_agency, recipient=decision.agency,
            scope=WITHOUT_IDENTITY if withheld else ALL_PARTS, purpose=Consent.Purpose.ROUTING,
            authorisation=authorisation, routing=routing_row)
        notifications.enqueue(
            event=Notification.Event.REFERRAL_ROUTED, referral=referral, agency=decision.agency,
            recipient_ids=notifications.recipients_for_routing(decision.agency),
        )
    return referral


def _filing_consent(referral: Referral, *, actor, membership: Membership, decisions) -> Consent | None:
    """The consent the reporter recorded on the form, as a Consent naming the agencies that
    the routings resting on consent reach (None when none was given or none is needed)."""
    recipients = [d.agency for d in decisions if not d.legal_basis.allows_without_consent]
    if not referral.filing_consent or not recipients:
        return None
    given = referral.filing_consent
    consent = Consent.objects.create(
        referral=referral, agency=referral.reporting_agency, given_by=given["given_by"],
        child_age=consent_service.child_age(referral), child_view=given["child_view"],
        child_view_note=given.get("child_view_note", ""), purposes=[Consent.Purpose.ROUTING], form=given["form"],
        recorded_by=actor)
    consent.recipients.set(recipients)
    record(action="consent.recorded", actor=actor, membership=membership, target=consent,
           child_id=referral.child_id, legal_basis="consent",
           changes={"reference": consent.reference, "referral": referral.reference, "given_by": consent.given_by,
                    "child_age": consent.child_age, "child_view": consent.child_view, "form": consent.form,
                    "recipients": [a.pk for a in recipients], "purposes": consent.purposes, "at_filing": True})
    return consent


def _suggest_matches(referral: Referral) -> list[ChildMatch]:
    """Children already known who may be this child: the same national identity number
    (exact, through the keyed hash), or a similar name with the same date of birth."""
    child = referral.child
    found: dict[int, ChildMatch] = {}
    known = Child.objects.exclude(pk=child.pk).filter(referrals__status=Referral.Status.SUBMITTED)
    if child.national_id_digest:
        for candidate in known.filter(national_id_digest=child.national_id_digest).distinct():
            found[candidate.pk] = ChildMatch(referral=referral, candidate=candidate, score=1.0,
                                             method=ChildMatch.Method.NATIONAL_ID)
    if child.date_of_birth is not None:
        candidates = (known.filter(date_of_birth=child.date_of_birth).distinct()
                      .only("pk", "given_name", "family_name", "date_of_birth")
                      [:MATCH_CANDIDATES_PER_BIRTH_DATE])
        for candidate in candidates:
            if candidate.pk in found:
                continue
            score = matching.score(candidate.given_name, candidate.family_name, candidate.date_of_birth,
                                   child.given_name, child.family_name, child.date_of_birth)
            if score >= matching.MATCH_THRESHOLD:
                found[candidate.pk] = ChildMatch(referral=referral, candidate=candidate, score=score,
                                                 method=ChildMatch.Method.NAME_AND_BIRTH_DATE)
    return ChildMatch.objects.bulk_create(found.values())


def draft_data(referral: Referral) -> ReferralData:
    """A referral's current content in the input shape (to check, or to fill a form)."""
    child = referral.child
    return ReferralData(
        child=ChildData(
            given_name=child.given_name, family_name=child.family_name, date_of_birth=child.date_of_birth,
            age_uncertain=child.age_uncertain, estimated_age=child.estimated_age,
            nationality=child.nationality, language=child.language,
            interpreter_needed=child.interpreter_needed, unaccompanied_minor=child.unaccompanied_minor,
            safe_contact=child.safe_contact, school=child.school, school_class=child.school_class,
            municipality=child.municipality,
        ),
        categories=tuple(referral.categories.values_list("code", flat=True)),
        indicators=tuple(referral.indicators.values_list("code", flat=True)),
        duty_triggers=tuple(referral.duty_triggers), platforms=tuple(referral.platforms),
        concern=referral.concern, observed_on=referral.observed_on, observed_where=referral.observed_where,
        emergency_called=referral.emergency_called, emergency_called_at=referral.emergency_called_at,
        guardians=tuple(GuardianData(name=g.name, informed=g.informed, contact=g.contact,
                                     not_informed_reason=g.not_informed_reason)
                        for g in referral.guardians.all()),
        people=tuple(PersonData(role=p.role, name=p.name, description=p.description)
                     for p in referral.people_of_concern.all()),
        identifiers=tuple(IdentifierData(kind=i.kind, value=i.value, platform=i.platform)
                          for i in referral.identifiers.all()),
        consent=ConsentData(**referral.filing_consent) if referral.filing_consent else None,
    )


@transaction.atomic
def referral_add_addendum(*, actor, referral: Referral, text: str) -> Addendum:
    """After submitting, the reporter cannot edit, only add. The receiving agencies are told."""
    referral = _own_referral_for_update(actor, referral)
    if referral.is_draft:
        raise ConflictError(_("Submit the referral first; until then you can edit it."))
    addendum = Addendum(referral=referral, author=actor, text=(text or "").strip())
    addendum.full_clean(exclude=["referral", "author"])
    addendum.save()
    record(action="referral.addendum_added", actor=actor, agency=referral.reporting_agency, role="reporter",
           target=addendum, child_id=referral.child_id, changes={"reference": referral.reference})
    for routing_row in referral.routings.select_related("agency"):
        notifications.enqueue(
            event=Notification.Event.REFERRAL_ADDENDUM, referral=referral, agency=routing_row.agency,
            recipient_ids=notifications.recipients_for_routing(routing_row.agency),
        )
    return addendum
