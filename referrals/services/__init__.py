"""Every write to referrals. One module per concern:

intake_input  what a reporter sends, and its validation
intake   drafts, submission (routing, matching, notifications), addenda
inbox    notifications read in the in-app inbox
"""

from .inbox import notification_mark_read
from .intake import (
    draft_data,
    referral_add_addendum,
    referral_draft_create,
    referral_draft_update,
    referral_file,
    referral_submit,
)
from .intake_input import ChildData, GuardianData, IdentifierData, PersonData, ReferralData

__all__ = [
    "ChildData", "GuardianData", "IdentifierData", "PersonData", "ReferralData", "draft_data",
    "notification_mark_read", "referral_add_addendum", "referral_draft_create", "referral_draft_update",
    "referral_file", "referral_submit",
]
