from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agencies import views as agency_views
from agencies.api import TokenView
from referrals import views as referral_views

from .health import healthz
from . import converters  # noqa: F401  (registers <id:...>)

urlpatterns = [
    path("", referral_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/setup/", agency_views.two_factor_setup, name="two-factor-setup"),
    path("accounts/two-factor/verify/", agency_views.two_factor_verify, name="two-factor-verify"),
    path("agencies/<id:agency_id>/sign-in/", agency_views.agency_sign_in_settings, name="agency-sign-in"),
    path("referrals/", include("referrals.urls")),
    path("audit/", include("audit.urls")),
    path("inbox/", referral_views.inbox, name="inbox"),
    path("inbox/<id:notification_id>/read/", referral_views.notification_read, name="notification-read"),
    path("inbox/read-all/", referral_views.notification_read_all, name="notification-read-all"),
    path("inbox/preferences/", referral_views.notification_preferences, name="notification-preferences"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("api/v1/auth/token/", TokenView.as_view(), name="api-token"),
    path("api/v1/audit/", include("audit.api")),
    path("api/v1/", include("referrals.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
         name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
