from django.urls import path

from . import views

app_name = "referrals-api"

urlpatterns = [
    path("referrals/", views.ReferralListCreateView.as_view(), name="referral-list"),
    path("referrals/mine/", views.FiledReferralListView.as_view(), name="referral-mine"),
    path("referrals/<str:reference>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    path("referrals/<str:reference>/submit/", views.ReferralSubmitView.as_view(), name="referral-submit"),
    path("referrals/<str:reference>/addenda/", views.AddendumCreateView.as_view(), name="referral-addenda"),
    path("taxonomy/", views.TaxonomyView.as_view(), name="taxonomy"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
]
