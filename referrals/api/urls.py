from django.urls import path

from . import access, consent, exports, handovers, notifications, triage, views
from config import converters  # noqa: F401  (registers <id:...>)

app_name = "referrals-api"

urlpatterns = [
    path("referrals/", views.ReferralListCreateView.as_view(), name="referral-list"),
    path("referrals/mine/", views.FiledReferralListView.as_view(), name="referral-mine"),
    path("referrals/<str:reference>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    path("referrals/<str:reference>/disclosures/", consent.DisclosureListView.as_view(),
         name="referral-disclosures"),
    path("referrals/<str:reference>/disclosures/export/", consent.DisclosureExportView.as_view(),
         name="referral-disclosures-export"),
    path("referrals/<str:reference>/exports/", exports.ReferralExportView.as_view(), name="referral-exports"),
    path("consents/", consent.ConsentListCreateView.as_view(), name="consent-list"),
    path("consents/<str:reference>/withdraw/", consent.ConsentWithdrawView.as_view(), name="consent-withdraw"),
    path("consents/<str:reference>/document/", consent.ConsentDocumentView.as_view(), name="consent-document"),
    path("referrals/<str:reference>/submit/", views.ReferralSubmitView.as_view(), name="referral-submit"),
    path("referrals/<str:reference>/addenda/", views.AddendumCreateView.as_view(), name="referral-addenda"),
    path("referrals/<str:reference>/consent/", consent.ReporterConsentView.as_view(), name="referral-reporter-consent"),
    path("referrals/<str:reference>/decisions/", triage.DecisionView.as_view(), name="referral-decisions"),
    path("referrals/<str:reference>/assign/", triage.AssignView.as_view(), name="referral-assign"),
    path("referrals/<str:reference>/feedback/", triage.FeedbackView.as_view(), name="referral-feedback"),
    path("referrals/<str:reference>/notes/", triage.NoteView.as_view(), name="referral-notes"),
    path("referrals/<str:reference>/chronology/", triage.ChronologyView.as_view(), name="referral-chronology"),
    path("cases/", triage.CaseCreateView.as_view(), name="case-create"),
    path("cases/<id:case_id>/chronology/", triage.CaseChronologyView.as_view(), name="case-chronology"),
    path("cases/<id:case_id>/referrals/<str:reference>/", triage.CaseUnlinkView.as_view(), name="case-unlink"),
    path("referrals/<str:reference>/acknowledge/", handovers.RoutingAcknowledgeView.as_view(),
         name="referral-acknowledge"),
    path("handovers/", handovers.HandoverListCreateView.as_view(), name="handover-list"),
    path("handovers/<str:reference>/", handovers.HandoverDetailView.as_view(), name="handover-detail"),
    path("handovers/<str:reference>/acknowledge/", handovers.HandoverAcknowledgeView.as_view(),
         name="handover-acknowledge"),
    path("handovers/<str:reference>/accept/", handovers.HandoverAcceptView.as_view(), name="handover-accept"),
    path("handovers/<str:reference>/decline/", handovers.HandoverDeclineView.as_view(), name="handover-decline"),
    path("handovers/<str:reference>/revoke/", handovers.HandoverRevokeView.as_view(), name="handover-revoke"),
    path("handovers/<str:reference>/messages/", handovers.HandoverMessagesView.as_view(),
         name="handover-messages"),
    path("notifications/unread-count/", notifications.UnreadCountView.as_view(), name="notification-unread-count"),
    path("notifications/read-all/", notifications.ReadAllView.as_view(), name="notification-read-all"),
    path("notifications/preferences/", notifications.PreferencesView.as_view(), name="notification-preferences"),
    path("notifications/<id:notification_id>/read/", notifications.ReadView.as_view(), name="notification-read"),
    path("break-glass/", access.BreakGlassView.as_view(), name="break-glass"),
    path("taxonomy/", views.TaxonomyView.as_view(), name="taxonomy"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
]
