"""Every write to referrals. One module per concern:

intake_input  what a reporter sends, and its validation
intake   drafts, submission (routing, matching, notifications), addenda
triage   decisions, deadlines, feedback, assignment, cases, notes
inbox    notifications read in the in-app inbox
access   break the glass: time-limited access outside one's scope, and its expiry
"""

from .access import break_glass_expire, break_glass_refuse, break_glass_request
from .inbox import notification_mark_read
from .intake import (
    draft_data,
    referral_add_addendum,
    referral_draft_create,
    referral_draft_update,
    referral_file,
    referral_submit,
)
from .triage import (
    case_link,
    case_unlink,
    caseworker_assign,
    caseworker_unassign,
    feedback_send,
    note_add,
    referral_decide,
)
from .intake_input import ChildData, GuardianData, IdentifierData, PersonData, ReferralData

__all__ = [
    "ChildData", "GuardianData", "IdentifierData", "PersonData", "ReferralData", "draft_data",
    "break_glass_expire", "break_glass_refuse", "break_glass_request", "notification_mark_read", "referral_add_addendum", "referral_draft_create", "referral_draft_update",
    "referral_file", "referral_submit", "case_link", "case_unlink", "caseworker_assign", "caseworker_unassign",
    "feedback_send", "note_add", "referral_decide",
]
