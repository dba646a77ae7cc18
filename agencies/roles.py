"""The role matrix: which role may do what. Written once, here, as data.

Scope comes on top of it: a role applies only within the agency of the membership
(a coordinator of one municipality's child welfare service sees nothing routed to another).
Per-object grants (a caseworker assigned to a case, a break-the-glass grant) are
django-guardian permissions.
"""

from django.db.models import QuerySet

from .models import Membership

Role = Membership.Role

FILE_REFERRAL = "referral.file"
VIEW_QUEUE = "referral.view_queue"
READ_ROUTED_REFERRAL = "referral.read_routed"
RECEIVE_ROUTING_NOTICE = "referral.receive_routing_notice"
READ_AUDIT = "audit.read"
EDIT_ROUTING_RULES = "routing.edit_rules"
DECIDE = "referral.decide"
ASSIGN_CASEWORKER = "referral.assign"
BE_ASSIGNED = "referral.be_assigned"
WRITE_NOTE = "referral.write_note"
RECEIVE_ESCALATION = "referral.receive_escalation"
SEND_HANDOVER = "handover.send"
ANSWER_HANDOVER = "handover.answer"
ACKNOWLEDGE_ROUTING = "routing.acknowledge"
RECEIVE_UNACKNOWLEDGED_ESCALATION = "handover.receive_escalation"
MANAGE_SIGN_IN = "agency.manage_sign_in"
BREAK_GLASS = "referral.break_glass"
RECEIVE_BREAK_GLASS_NOTICE = "referral.receive_break_glass_notice"
MANAGE_CONSENT = "consent.manage"
OVERRIDE_CONSENT = "consent.override"
READ_DISCLOSURES = "disclosure.read"

MATRIX: dict[str, frozenset[str]] = {
    # Any agency can log a concern; school staff (reporters) are simply the most frequent.
    FILE_REFERRAL: frozenset(
        {Role.REPORTER, Role.COORDINATOR, Role.CASEWORKER, Role.LIAISON, Role.AGENCY_ADMIN}
    ),
    VIEW_QUEUE: frozenset({Role.COORDINATOR, Role.LIAISON}),
    READ_ROUTED_REFERRAL: frozenset({Role.COORDINATOR, Role.LIAISON}),
    RECEIVE_ROUTING_NOTICE: frozenset({Role.COORDINATOR, Role.LIAISON}),
    READ_AUDIT: frozenset({Role.AUDITOR}),
    EDIT_ROUTING_RULES: frozenset({Role.AGENCY_ADMIN}),
    # E.g. require two-factor sign-in of the agency's reporters too.
    MANAGE_SIGN_IN: frozenset({Role.AGENCY_ADMIN}),
    # Triage: coordinators decide and assign; an assigned caseworker works on the referral
    # through a django-guardian grant on that one referral.
    DECIDE: frozenset({Role.COORDINATOR}),
    ASSIGN_CASEWORKER: frozenset({Role.COORDINATOR}),
    BE_ASSIGNED: frozenset({Role.CASEWORKER, Role.COORDINATOR}),
    WRITE_NOTE: frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.LIAISON}),
    RECEIVE_ESCALATION: frozenset({Role.COORDINATOR, Role.AGENCY_ADMIN}),
    # Handovers between agencies: a coordinator sends one (or revokes it while pending);
    # the receiving agency's liaisons (police, immigration) or coordinators (SLT, another
    # municipality's child welfare) acknowledge, accept, decline and ask for more.
    SEND_HANDOVER: frozenset({Role.COORDINATOR}),
    ANSWER_HANDOVER: frozenset({Role.COORDINATOR, Role.LIAISON}),
    ACKNOWLEDGE_ROUTING: frozenset({Role.COORDINATOR, Role.LIAISON}),
    # Nobody acknowledged in time: after the liaisons and coordinators, the agency admins.
    RECEIVE_UNACKNOWLEDGED_ESCALATION: frozenset({Role.AGENCY_ADMIN}),
    # Break the glass: people who work on cases may ask for time-limited access to a
    # referral outside their scope; the owning agency's coordinators and the auditors hear of it.
    BREAK_GLASS: frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.LIAISON}),
    RECEIVE_BREAK_GLASS_NOTICE: frozenset({Role.COORDINATOR, Role.AUDITOR}),
    # Consent: a coordinator of an agency the referral is routed to records a consent and
    # its withdrawal. Sharing without a needed consent is for the agency's administrators
    # only (a second person: a coordinator who also holds the admin role in the agency),
    # with a written reason, flagged for auditors.
    MANAGE_CONSENT: frozenset({Role.COORDINATOR}),
    OVERRIDE_CONSENT: frozenset({Role.AGENCY_ADMIN}),
    # The disclosure log of a referral: its coordinators and the agency's auditors.
    READ_DISCLOSURES: frozenset({Role.COORDINATOR, Role.AUDITOR}),
}


def roles_for(action: str) -> frozenset[str]:
    return MATRIX[action]


def memberships_for(user, action: str) -> QuerySet[Membership]:
    """The user's active memberships whose role allows the action."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return Membership.objects.filter(
        user=user, is_active=True, agency__is_active=True, role__in=roles_for(action)
    ).select_related("agency")


def memberships_for_agency(agency, action: str) -> QuerySet[Membership]:
    """The active memberships in one agency whose role allows the action."""
    return Membership.objects.filter(agency=agency, is_active=True, user__is_active=True,
                                     role__in=roles_for(action))


def can(user, action: str) -> bool:
    return memberships_for(user, action).exists()
