"""Every read of referral data: scoped to the reader's agencies and grants, and audited in
the same transaction. If the audit row cannot be written, nothing is returned."""

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from agencies import roles
from agencies.models import Agency, Membership
from audit.recorder import build, record, record_many

from .access import Grant, access_referral, grant_for
from .links import Link, links_for
from .models import Addendum, ChildMatch, Notification, Referral, Routing


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
        raise Http404
    return memberships[0]


def referral_queue(*, agency: Agency) -> QuerySet[Referral]:
    """An agency's received referrals, most urgent first, then oldest first. Not yet read:
    pass the page shown to audit_list_read()."""
    return (
        Referral.objects.filter(routings__agency=agency, status=Referral.Status.SUBMITTED)
        .select_related("child", "reporting_agency")
        .prefetch_related("categories")
        .order_by("urgency", "submitted_at", "id")
    )


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
    with transaction.atomic():
        return _read(user, referral, grant)


def with_contents(queryset):
    """Everything a referral page or API response shows, in a fixed number of queries."""
    return queryset.select_related(
        "child", "child__municipality", "child__school", "reporting_agency", "reporter",
    ).prefetch_related(
        "categories", "indicators", "guardians", "people_of_concern", "identifiers",
        Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
        Prefetch("routings", queryset=Routing.objects.select_related("agency", "legal_basis")
                 .prefetch_related("rules").order_by("pk")),
    )


def _read(user, referral: Referral, grant: Grant) -> tuple[Referral, Grant]:
    referral = with_contents(Referral.objects).get(pk=referral.pk)
    record(action="referral.read", actor=user, agency=grant.agency, role=grant.role, target=referral,
           child_id=referral.child_id, legal_basis=grant.legal_basis,
           changes={"reference": referral.reference})
    return referral, grant


def match_suggestions(*, user, referral: Referral, grant: Grant) -> list[ChildMatch]:
    """Children who may be this child. Coordinators see them, reporters never; showing a
    candidate's name and date of birth is a read of that child's data, so it is audited."""
    if grant.role == roles.Role.REPORTER:
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
        return other_grant is not None and other_grant.role != roles.Role.REPORTER

    return links_for(referral, can_see=can_see)


def inbox(*, user) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user, delivered_at__isnull=False)
        .select_related("referral", "agency")
        .order_by("-created_at", "-id")
    )


def unread_count(*, user) -> int:
    return inbox(user=user).filter(read_at__isnull=True).count()
