from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.generic import RedirectView

from . import views
from config import converters  # noqa: F401  (registers <id:...>)

app_name = "audit"

urlpatterns = [
    path("", login_required(RedirectView.as_view(pattern_name="audit:events")), name="index"),
    path("events/", views.events, name="events"),
    path("events/<id:event_id>/", views.event_detail, name="event"),
    path("children/find/", views.find_child, name="find-child"),
    path("children/<str:reference>/", views.report, name="report"),
    path("children/<str:reference>/export.csv", views.report_export, name="report-export"),
    path("anomalies/", views.anomalies, name="anomalies"),
    path("anomalies/<id:anomaly_id>/review/", views.anomaly_review, name="anomaly-review"),
]
