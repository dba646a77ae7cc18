from django.urls import path

from . import views

app_name = "referrals-api"

urlpatterns = [
    path("referrals/", views.ReferralListCreateView.as_view(), name="referral-list"),
    path("referrals/mine/", views.FiledReferralListView.as_view(), name="referral-mine"),
    path("referrals/<str:reference>/", views.ReferralDetailView.as_view(), name="referral-detail"),
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
]
