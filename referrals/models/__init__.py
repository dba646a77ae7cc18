"""Referral models, one module per concept:

taxonomy      categories A-F, their indicators, § 13-2 triggers, platforms, legal bases
child         the child a concern is about, and suggested matches with known children
referral      the referral (concern) itself, its guardians, people of concern,
              identifiers and addenda
routing       routing rules (data) and the routings they produced
triage        statutory clocks, deadlines, decisions, feedback, assignments, cases, notes
handover      handovers between agencies, their messages, escalations of what nobody acknowledged
consent       consents to share, and the record of every disclosure
notification  the outbox, preferences and digests
permissions   django-guardian direct foreign-key grants on referrals
access        break-the-glass grants
"""

from .access import BreakGlassGrant
from .child import Child, ChildMatch
from .consent import Consent, Disclosure
from .handover import Escalation, Handover, HandoverMessage
from .notification import DigestSent, Notification, NotificationPreference
from .permissions import ReferralGroupObjectPermission, ReferralUserObjectPermission
from .referral import (
    CONCERN_MAX_LENGTH,
    Addendum,
    Guardian,
    Identifier,
    PersonOfConcern,
    Referral,
    new_reference,
)
from .routing import Routing, RoutingRule
from .taxonomy import Category, DutyTrigger, Indicator, LegalBasis, Platform, Urgency
from .triage import Assignment, Case, Deadline, Decision, Feedback, Note, StatutoryClock

__all__ = [
    "CONCERN_MAX_LENGTH", "Addendum", "BreakGlassGrant", "Consent", "Disclosure", "DigestSent", "Escalation", "Handover", "HandoverMessage",
    "NotificationPreference", "Assignment", "Case", "Deadline", "Decision", "Feedback", "Note",
    "StatutoryClock", "Category", "Child", "ChildMatch", "DutyTrigger", "Guardian",
    "Identifier", "Indicator", "LegalBasis", "Notification", "PersonOfConcern", "Platform", "Referral",
    "ReferralGroupObjectPermission", "ReferralUserObjectPermission", "Routing", "RoutingRule",
    "Urgency", "new_reference",
]
