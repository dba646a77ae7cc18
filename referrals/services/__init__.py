"""Every write to referrals. One module per concern:

intake_input  what a reporter sends, and its validation
intake   drafts, submission (routing, matching, notifications), addenda
triage   decisions, deadlines, feedback, assignment, cases, notes
inbox    notifications read in the in-app inbox, preferences
handovers  handovers between agencies and their message threads
routings   a receiving agency acknowledges a routed referral
escalation what nobody acknowledged in time escalates (Celery beat)
access     break the glass: time-limited access outside one's scope, and its expiry
consent    consents to share: recording (with an optional document), withdrawal, expiry (Celery beat)
disclosures  every disclosure authorised (legal basis or consent, override) and recorded
exports  the chosen parts of a referral exported to another agency, as a recorded disclosure
"""

from .consent import (consent_attach_document, consent_record, consent_record_by_reporter, consent_withdraw,
                      consents_expire)
from .exports import referral_export
from .handovers import (
    handover_accept,
    handover_acknowledge,
    handover_create,
    handover_decline,
    handover_message_post,
    handover_revoke,
)
from .access import break_glass_expire, break_glass_refuse, break_glass_request
from .inbox import notification_mark_all_read, notification_mark_read, notification_preferences_update
from .routings import routing_acknowledge
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
from .intake_input import ChildData, ConsentData, GuardianData, IdentifierData, PersonData, ReferralData

__all__ = [
    "consent_attach_document", "consent_record", "consent_record_by_reporter", "consent_withdraw", "consents_expire",
    "ChildData", "ConsentData", "GuardianData", "IdentifierData", "PersonData", "ReferralData", "draft_data",
    "break_glass_expire", "break_glass_refuse", "break_glass_request",
    "handover_accept", "handover_acknowledge", "handover_create", "handover_decline", "handover_message_post",
    "handover_revoke", "notification_mark_all_read", "notification_mark_read", "notification_preferences_update",
    "routing_acknowledge", "referral_add_addendum", "referral_draft_create", "referral_draft_update",
    "referral_file", "referral_submit", "case_link", "case_unlink", "caseworker_assign", "caseworker_unassign",
    "feedback_send", "note_add", "referral_decide", "referral_export",
]
