from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("new/", views.referral_create, name="create"),
    path("queue/", views.referral_queue, name="queue"),
    path("mine/", views.referrals_mine, name="mine"),
    path("<str:reference>/", views.referral_detail, name="detail"),
    path("<str:reference>/edit/", views.referral_edit, name="edit"),
    path("<str:reference>/addendum/", views.referral_addendum, name="addendum"),
]
