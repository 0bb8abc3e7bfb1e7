from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.staff_home, name="home"),
    path("cases/mine/", views.my_cases, name="my_cases"),
    path("intake/", views.intake, name="intake"),
    path("cases/", views.all_cases, name="all_cases"),
    path("cases/<uuid:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<uuid:case_id>/assign/", views.case_assign, name="case_assign"),
    path(
        "cases/<uuid:case_id>/unassign/<str:username>/",
        views.case_unassign,
        name="case_unassign",
    ),
    path("cases/<uuid:case_id>/severity/", views.case_severity, name="case_severity"),
    path("cases/<uuid:case_id>/transition/", views.case_transition, name="case_transition"),
    path("cases/<uuid:case_id>/notes/", views.case_note, name="case_note"),
    path("cases/<uuid:case_id>/messages/", views.case_message, name="case_message"),
    path(
        "cases/<uuid:case_id>/matches/<uuid:match_id>/<str:action>/",
        views.match_decide,
        name="match_decide",
    ),
    path("notifications/", views.notifications, name="notifications"),
    path(
        "notifications/<uuid:notification_id>/",
        views.notification_open,
        name="notification",
    ),
    path("alerts/", views.alerts, name="alerts"),
    path("roles/", views.role_requests, name="roles"),
    path("roles/<uuid:request_id>/confirm/", views.role_confirm, name="role_confirm"),
    path("roles/<uuid:request_id>/decline/", views.role_decline, name="role_decline"),
    path(
        "cases/<uuid:case_id>/evidence/<uuid:evidence_id>/",
        views.case_evidence,
        name="case_evidence",
    ),
]
