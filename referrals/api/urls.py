from django.urls import path

from . import access, triage, views

app_name = "referrals-api"

urlpatterns = [
    path("referrals/", views.ReferralListCreateView.as_view(), name="referral-list"),
    path("referrals/mine/", views.FiledReferralListView.as_view(), name="referral-mine"),
    path("referrals/<str:reference>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    path("referrals/<str:reference>/submit/", views.ReferralSubmitView.as_view(), name="referral-submit"),
    path("referrals/<str:reference>/addenda/", views.AddendumCreateView.as_view(), name="referral-addenda"),
    path("referrals/<str:reference>/decisions/", triage.DecisionView.as_view(), name="referral-decisions"),
    path("referrals/<str:reference>/assign/", triage.AssignView.as_view(), name="referral-assign"),
    path("referrals/<str:reference>/feedback/", triage.FeedbackView.as_view(), name="referral-feedback"),
    path("referrals/<str:reference>/notes/", triage.NoteView.as_view(), name="referral-notes"),
    path("referrals/<str:reference>/chronology/", triage.ChronologyView.as_view(), name="referral-chronology"),
    path("cases/", triage.CaseCreateView.as_view(), name="case-create"),
    path("cases/<int:case_id>/chronology/", triage.CaseChronologyView.as_view(), name="case-chronology"),
    path("cases/<int:case_id>/referrals/<str:reference>/", triage.CaseUnlinkView.as_view(), name="case-unlink"),
    path("break-glass/", access.BreakGlassView.as_view(), name="break-glass"),
    path("taxonomy/", views.TaxonomyView.as_view(), name="taxonomy"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
]
