from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import health, views
from core.throttling import rate_limited

core_patterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("start/", views.after_login, name="after_login"),
    path(
        "login/",
        rate_limited("login")(
            auth_views.LoginView.as_view(
                template_name="core/login.html", redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("login/code/", views.second_factor_verify, name="second_factor_verify"),
    path("account/security/", views.account_security, name="account_security"),
    path("account/second-factor/", views.second_factor_enrol, name="second_factor_enrol"),
    path("account/backup-codes/", views.backup_codes_renew, name="backup_codes_renew"),
    path("account/sign-ins/<uuid:sign_in_id>/end/", views.sign_in_end, name="sign_in_end"),
    path("account/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("session/", views.session, name="session"),
]

urlpatterns = [
    path("", include((core_patterns, "core"))),
    path("", include("incidents.urls")),
    path("staff/", include("support.urls")),
    path("find-support/", include("support.public_urls")),
    path("insights/", include("insights.urls")),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(template_name="api/swagger_ui.html"),
        name="api_docs",
    ),
    path("language/", set_language, name="set_language"),
    # Before the admin site: its own sign-in form, which skips our rules, is never served.
    path("admin/login/", views.admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]
