from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from core import views

core_patterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("start/", views.after_login, name="after_login"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="core/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

urlpatterns = [
    path("", include((core_patterns, "core"))),
    path("", include("incidents.urls")),
    path("staff/", include("support.urls")),
    path("find-support/", include("support.public_urls")),
    path("insights/", include("insights.urls")),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("admin/", admin.site.urls),
]
