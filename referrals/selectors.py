"""Every read of referral data: scoped to the reader's agencies and grants, and audited in
the same transaction. If the audit row cannot be written, nothing is returned."""

from dataclasses import dataclass

from django.core.files import File
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from agencies import roles
from agencies.models import Agency, Membership
from audit.recorder import build, record, record_many

from . import queue
from .access import Grant, access_consent, access_handover, access_referral, access_referral_for, grant_for
from .links import Link, links_for
from .models import (Addendum, Child, ChildMatch, Consent, Disclosure, Guardian, Handover, Notification,
                     Referral, Routing)
from .routing import age_on


def queue_memberships(user) -> list[Membership]:
    """The agencies whose queue the user may open, one membership each."""
    seen, result = set(), []
    for membership in roles.memberships_for(user, roles.VIEW_QUEUE).order_by("agency__name", "pk"):
        if membership.agency_id not in seen:
            seen.add(membership.agency_id)
            result.append(membership)
    return result


def queue_membership(user, agency_id: int | None) -> Membership:
    memberships = queue_memberships(user)
    if agency_id is not None:
        memberships = [m for m in memberships if m.agency_id == agency_id]
    if not memberships:
        # A queue the user has no place in answers as if it did not exist, and is audited.
        record(action="referral.listed", actor=user, outcome="denied", target_type="agencies.agency",
               target_id=agency_id)
        raise Http404
    return memberships[0]


def queue_page(*, user, membership: Membership, filters: queue.Filters, cursor: str = "", size: int = 25):
    """One audited page of an agency's queue, with the counts per filter."""
    result = queue.page(membership.agency, filters, cursor=cursor, size=size)
    for row in result.rows:
        if row.identity_withheld:
            withhold_identity(row.referral)
    result.counts = queue.counts(membership.agency)
    with transaction.atomic():
        audit_list_read(user=user, referrals=[row.referral for row in result.rows], agency=membership.agency,
                        role=membership.role, action="referral.listed")
    return result


def assignable_caseworkers(agency: Agency):
    """The people of an agency a referral can be assigned to."""
    from agencies.models import User

    return (User.objects.filter(memberships__in=roles.memberships_for_agency(agency, roles.BE_ASSIGNED))
            .distinct().order_by("first_name", "last_name", "username"))


def referrals_filed_by(*, user) -> QuerySet[Referral]:
    return (
        Referral.objects.filter(reporter=user)
        .select_related("child", "reporting_agency")
        .prefetch_related("categories")
        .order_by("-created_at", "-id")
    )


def audit_list_read(*, user, referrals, agency: Agency | None, role: str, action: str) -> None:
    """One audit event per listed referral (each names its child), written in one query.
    With no agency given, each row's reporting agency is the one recorded (a reporter's
    own list)."""
    record_many(
        build(action=action, actor=user, agency=agency or r.reporting_agency, role=role, target=r,
              child_id=r.child_id,
              changes={"reference": r.reference})
        for r in referrals
    )


def referral_detail(*, user, reference: str) -> tuple[Referral, Grant]:
    """Open one referral. Missing or forbidden → Http404; the denial is audited (outside
    the read's transaction, so that it is kept)."""
    referral, grant = access_referral(user=user, reference=reference)
    _refuse_scoped(user, referral, grant, "referral.read")
    with transaction.atomic():
        return _read(user, referral, grant)


def _refuse_scoped(user, referral: Referral, grant: Grant, action: str) -> None:
    """Someone who sees a referral only through a handover reads it on the handover's page,
    limited to its scope; the whole referral answers 404 to them, and the attempt is kept."""
    if grant.is_scoped:
        record(action=action, actor=user, outcome="denied", agency=grant.agency, role=grant.role,
               target=referral, child_id=referral.child_id,
               changes={"reference": referral.reference, "reason": "handover scope"})
        raise Http404


def with_contents(queryset):
    """Everything a referral page or API response shows, in a fixed number of queries."""
    return queryset.select_related(
        "child", "child__municipality", "child__school", "reporting_agency", "reporter",
    ).prefetch_related(
        "categories", "indicators", "guardians", "people_of_concern", "identifiers",
        Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
        Prefetch("routings", queryset=Routing.objects.select_related("agency", "legal_basis", "acknowledged_by")
                 .prefetch_related("rules").order_by("pk")),
    )


def withhold_identity(referral: Referral) -> Referral:
    """For an agency that received the referral as a consultation without identity: replace
    the loaded child and guardians by unsaved copies without what could identify them (name,
    date of birth, national identity number, school and class, the safe contact; guardians'
    names and contacts). The child's age stays, as a number. Never saved."""
    child = referral.child
    masked = type(child)(
        pk=child.pk, municipality=child.municipality, age_uncertain=child.age_uncertain,
        estimated_age=age_on(timezone.localdate(), child.date_of_birth, child.estimated_age),
        nationality=child.nationality, language=child.language, interpreter_needed=child.interpreter_needed,
        unaccompanied_minor=child.unaccompanied_minor)
    masked.identity_withheld = True
    referral.child = masked
    cache = getattr(referral, "_prefetched_objects_cache", {})
    if "guardians" in cache:
        cache["guardians"] = [Guardian(pk=g.pk, referral_id=g.referral_id, position=g.position, informed=g.informed,
                                       not_informed_reason=g.not_informed_reason)
                              for g in cache["guardians"]]
    return referral


def _read(user, referral: Referral, grant: Grant) -> tuple[Referral, Grant]:
    referral = with_contents(Referral.objects).get(pk=referral.pk)
    if grant.identity_withheld:
        withhold_identity(referral)
    record(action="referral.read", actor=user, agency=grant.agency, role=grant.role, target=referral,
           child_id=referral.child_id, legal_basis=grant.legal_basis,
           changes={"reference": referral.reference})
    return referral, grant


def match_suggestions(*, user, referral: Referral, grant: Grant) -> list[ChildMatch]:
    """Children who may be this child. Coordinators see them, reporters never; showing a
    candidate's name and date of birth is a read of that child's data, so it is audited."""
    if grant.role == roles.Role.REPORTER or grant.identity_withheld:
        return []
    matches = list(referral.child_matches.select_related("candidate").prefetch_related("candidate__referrals"))
    record_many(
        build(action="child.match_viewed", actor=user, agency=grant.agency, role=grant.role, target=m,
              child_id=m.candidate_id, changes={"reference": referral.reference})
        for m in matches
    )
    return matches


def identifier_links(*, user, referral: Referral, grant: Grant) -> list[Link]:
    """Other referrals sharing an identifier. Content only where the reader has access;
    otherwise only that a link exists. Reporters never see links."""
    if grant.role == roles.Role.REPORTER:
        return []
    def can_see(other: Referral) -> bool:
        other_grant = grant_for(user, other)
        return other_grant is not None and other_grant.role != roles.Role.REPORTER and not other_grant.is_scoped

    return links_for(referral, can_see=can_see)


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def chronology(*, user, reference: str) -> list[dict]:
    """Everything that happened on a referral, in time order, for someone with access.
    Internal notes appear only to the agency that wrote them. The read is audited."""
    referral, grant = access_referral(user=user, reference=reference, action="referral.chronology")
    _refuse_scoped(user, referral, grant, "referral.chronology")
    with transaction.atomic():
        record(action="referral.chronology_read", actor=user, agency=grant.agency, role=grant.role,
               target=referral, child_id=referral.child_id, changes={"reference": referral.reference})
        entries = [{"at": referral.submitted_at or referral.created_at, "what": _("Received"),
                    "who": _name(referral.reporter), "detail": referral.reporting_agency.name}]
        for r in referral.routings.select_related("agency", "legal_basis"):
            entries.append({"at": r.created_at, "what": _("Routed"), "who": "",
                            "detail": f"{r.agency.name} ({r.legal_basis.law_reference})"})
        for d in referral.deadlines.select_related("clock"):
            entries.append({"at": d.starts_at, "what": _("Clock started: %(clock)s") % {"clock": d.get_kind_display()},
                            "who": "", "detail": _("due %(due)s, %(law)s") % {
                                "due": formats.date_format(timezone.localtime(d.due_at), "SHORT_DATETIME_FORMAT"),
                                "law": d.clock.law_reference}})
            if d.met_at:
                entries.append({"at": d.met_at, "what": _("Deadline met: %(clock)s") % {"clock": d.get_kind_display()},
                                "who": "", "detail": ""})
        for d in referral.decisions.select_related("decided_by", "target_agency"):
            detail = d.justification or (d.target_agency.name if d.target_agency else "")
            entries.append({"at": d.decided_at, "what": d.get_kind_display(), "who": _name(d.decided_by),
                            "detail": detail})
        for f in referral.feedback.select_related("sent_by"):
            entries.append({"at": f.sent_at, "what": _("Feedback to the reporter: %(kind)s") % {
                "kind": f.get_kind_display()}, "who": _name(f.sent_by), "detail": f.message})
        for a in referral.assignments.select_related("caseworker", "assigned_by"):
            entries.append({"at": a.assigned_at, "what": _("Caseworker assigned"), "who": _name(a.assigned_by),
                            "detail": _name(a.caseworker)})
            if a.ended_at:
                entries.append({"at": a.ended_at, "what": _("Caseworker unassigned"), "who": "",
                                "detail": _name(a.caseworker)})
        for a in referral.addenda.select_related("author"):
            entries.append({"at": a.created_at, "what": _("Addendum"), "who": _name(a.author), "detail": a.text})
        for n in referral.notes.filter(agency=grant.agency).select_related("author"):
            entries.append({"at": n.created_at, "what": _("Internal note"), "who": _name(n.author), "detail": n.text})
    return sorted(entries, key=lambda e: e["at"])


def case_chronology(*, user, case_id: int) -> list[dict]:
    """The chronologies of a case's referrals that the reader may see, merged in time
    order, each entry marked with its referral's reference."""
    references = list(Referral.objects.filter(case_id=case_id).order_by("pk").values_list("reference", flat=True))
    entries = []
    for reference in references:
        try:
            entries += [{**e, "reference": reference} for e in chronology(user=user, reference=reference)]
        except Http404:
            continue
    if not entries:
        raise Http404
    return sorted(entries, key=lambda e: e["at"])


def case_members(*, user, referral: Referral) -> list[Referral]:
    """The other referrals in this referral's case that the reader may open."""
    if referral.case_id is None:
        return []
    others = Referral.objects.filter(case_id=referral.case_id).exclude(pk=referral.pk).order_by("pk")
    grants = ((r, grant_for(user, r)) for r in others)
    return [r for r, g in grants if g is not None and not g.is_scoped]


def inbox(*, user) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, delivered_at__isnull=False)
        .select_related("referral", "agency")
        .order_by("-created_at", "-id")
    )


def unread_count(*, user) -> int:
    return inbox(user=user).filter(read_at__isnull=True).count()


# --- handovers -------------------------------------------------------------------------


@dataclass
class HandoverRead:
    handover: Handover
    membership: Membership
    side: str  # "sender" or "receiver"
    disclosed: dict
    messages: list
    escalations: list

    @property
    def is_receiver(self) -> bool:
        return self.side == "receiver"

    @property
    def is_sender(self) -> bool:
        return self.side == "sender"


def disclosed_parts(*, referral: Referral, scope, sending_agency: Agency) -> dict:
    """Exactly the parts of the referral in `scope` (Handover.Scope values); nothing else is
    even loaded. The notes disclosed are the sending agency's own. Shared by handovers and
    exports: the caller audits the read."""
    scope = set(scope)
    parts: dict = {}
    if Handover.Scope.IDENTITY in scope:
        child = Child.objects.select_related("municipality", "school").get(pk=referral.child_id)
        parts["identity"] = {
            "given_name": child.given_name, "family_name": child.family_name,
            "date_of_birth": child.date_of_birth, "age_uncertain": child.age_uncertain,
            "estimated_age": child.estimated_age, "municipality": child.municipality.name,
            "school": child.school.name if child.school else "", "nationality": child.nationality,
            "language": child.language, "interpreter_needed": child.interpreter_needed,
            "unaccompanied_minor": child.unaccompanied_minor,
        }
    if Handover.Scope.CATEGORIES in scope:
        parts["categories_and_indicators"] = {
            "categories": [{"code": c.code, "name": c.name} for c in referral.categories.order_by("code")],
            "indicators": [i.text for i in referral.indicators.order_by("category__code", "order", "code")],
            "duty_triggers": referral.duty_trigger_labels(),
            "urgency": referral.urgency,
        }
    if Handover.Scope.NARRATIVE in scope:
        parts["narrative"] = {
            "concern": referral.concern, "observed_on": referral.observed_on,
            "observed_where": referral.observed_where,
            "addenda": [{"text": a.text, "created_at": a.created_at} for a in referral.addenda.order_by("pk")],
        }
    if Handover.Scope.IDENTIFIERS in scope:
        parts["identifiers"] = {
            "identifiers": [{"kind": i.get_kind_display(), "platform": i.platform, "value": i.value}
                            for i in referral.identifiers.order_by("pk")],
            "people_of_concern": [{"role": p.get_role_display(), "name": p.name, "description": p.description}
                                  for p in referral.people_of_concern.order_by("pk")],
        }
    if Handover.Scope.ATTACHMENTS in scope:
        # The referral form takes no files yet; the scope is recorded for when it does.
        parts["attachments"] = []
    if Handover.Scope.NOTES in scope:
        parts["notes"] = [{"text": n.text, "created_at": n.created_at, "author": _name(n.author)}
                          for n in referral.notes.filter(agency=sending_agency).select_related("author")]
    return parts


def handover_disclosed_parts(handover: Handover, *, side: str = "receiver") -> dict:
    """What the handover's scope discloses. A revoked handover no longer discloses anything
    to the receiver."""
    if side == "receiver" and handover.status == Handover.Status.REVOKED:
        return {}
    return disclosed_parts(referral=handover.referral, scope=handover.scope,
                           sending_agency=handover.sending_agency)


def handover_detail(*, user, reference: str) -> HandoverRead:
    """Open one handover: its state, the disclosed parts of the referral, the messages.
    Missing or forbidden → Http404 (audited); the read is audited with its legal basis."""
    handover, membership, side = access_handover(user=user, reference=reference)
    with transaction.atomic():
        record(action="handover.read", actor=user, membership=membership, target=handover,
               child_id=handover.referral.child_id, legal_basis=handover.legal_basis.code,
               changes={"reference": handover.reference, "referral": handover.referral.reference, "side": side,
                        "scope": handover.scope})
        return HandoverRead(
            handover=handover, membership=membership, side=side, disclosed=handover_disclosed_parts(handover, side=side),
            messages=list(handover.messages.select_related("author", "agency")),
            escalations=list(handover.escalations.all()),
        )


def handover_list(*, user, box: str = "received", status: str | None = None) -> QuerySet[Handover]:
    """The handovers to (box "received") or from ("sent") the user's agencies. Rows carry
    references, agencies and state, no child data."""
    if box == "sent":
        queryset = Handover.objects.filter(
            sending_agency__in=roles.memberships_for(user, roles.SEND_HANDOVER).values("agency"))
    else:
        # A handover whose consent was withdrawn or expired no longer reaches the receiver.
        queryset = Handover.objects.filter(
            receiving_agency__in=roles.memberships_for(user, roles.ANSWER_HANDOVER).values("agency"),
            access_ended_at__isnull=True)
    if status:
        queryset = queryset.filter(status=status)
    ordering = ("-created_at", "-pk") if box == "sent" else ("acknowledge_by", "pk")
    return queryset.select_related("referral", "sending_agency", "receiving_agency", "created_by", "legal_basis",
                                   "consent",
                                   "acknowledged_by").order_by(*ordering)


def audit_handover_list(*, user, handovers, action: str = "handover.listed") -> None:
    record_many(
        build(action=action, actor=user, target=h, child_id=h.referral.child_id,
              changes={"reference": h.reference, "referral": h.referral.reference})
        for h in handovers
    )


def handovers_of_referral(*, referral: Referral, grant: Grant) -> list[Handover]:
    """On the referral page: the handovers of this referral, for a reader with full access
    (not the reporter): the sender sees whether each arrived and the external reference."""
    if grant.role == roles.Role.REPORTER or grant.is_scoped:
        return []
    return list(referral.handovers.select_related("sending_agency", "receiving_agency", "acknowledged_by",
                                                  "legal_basis").order_by("-created_at", "-pk"))


# --- consent and the disclosure log ----------------------------------------------------


def consents_of_referral(*, user, reference: str) -> tuple[Referral, Membership, list[Consent]]:
    """The consents recorded on a referral, for a coordinator of an agency it is routed to.
    Missing or forbidden → Http404 (audited); the read is audited."""
    referral, membership = access_referral_for(user=user, reference=reference, action="consent.listed",
                                               permission=roles.MANAGE_CONSENT)
    with transaction.atomic():
        record(action="consent.listed", actor=user, membership=membership, target=referral,
               child_id=referral.child_id, changes={"reference": referral.reference})
        consents = list(Consent.objects.filter(referral=referral)
                        .select_related("referral", "agency", "recorded_by", "withdrawal_recorded_by")
                        .prefetch_related(Prefetch("recipients", queryset=Agency.objects.order_by("name"))))
    return referral, membership, consents


def consent_document(*, user, reference: str) -> tuple[Consent, File]:
    """A consent's document, opened, for a coordinator of an agency its referral is routed
    to. Missing, forbidden (audited) or without a document → Http404; the read is audited
    before the file is handed over."""
    consent, membership = access_consent(user=user, reference=reference, action="consent.document_read")
    if not consent.document:
        raise Http404
    with transaction.atomic():
        record(action="consent.document_read", actor=user, membership=membership, target=consent,
               child_id=consent.referral.child_id,
               changes={"reference": consent.reference, "referral": consent.referral.reference,
                        "document_sha256": consent.document_sha256})
        handle = consent.document.storage.open(consent.document.name, "rb")
    return consent, handle


def disclosure_log(*, user, reference: str, action: str = "disclosure.log_read"
                   ) -> tuple[Referral, Membership, list[Disclosure]]:
    """Who received what of a referral, when, on which basis or consent, approved by whom:
    for the coordinators and auditors of an agency it is routed to. Missing or forbidden →
    Http404 (audited); the read (or the export, by `action`) is audited."""
    referral, membership = access_referral_for(user=user, reference=reference, action=action,
                                               permission=roles.READ_DISCLOSURES)
    with transaction.atomic():
        record(action=action, actor=user, membership=membership, target=referral, child_id=referral.child_id,
               changes={"reference": referral.reference})
        rows = list(Disclosure.objects.filter(referral=referral)
                    .select_related("sending_agency", "recipient", "legal_basis", "consent", "approved_by",
                                    "handover")
                    .order_by("created_at", "pk"))
    return referral, membership, rows
