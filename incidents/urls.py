from django.urls import path

from incidents import views

app_name = "incidents"

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<uuid:report_id>/", views.report_detail, name="report_detail"),
    path("reports/<uuid:report_id>/incidents/new/", views.incident_new, name="incident_new"),
    path("reports/<uuid:report_id>/evidence/new/", views.evidence_new, name="evidence_new"),
    path(
        "reports/<uuid:report_id>/evidence/<uuid:evidence_id>/",
        views.evidence_download,
        name="evidence_download",
    ),
    path("reports/<uuid:report_id>/messages/", views.report_message, name="report_message"),
    path(
        "reports/<uuid:report_id>/statistics/withdraw/",
        views.report_withdraw_statistics,
        name="report_withdraw_statistics",
    ),
    path("reports/<uuid:report_id>/export/", views.report_export, name="report_export"),
    path("reports/<uuid:report_id>/erase/", views.report_erase, name="report_erase"),
    path("anonymous/new/", views.anonymous_new, name="anonymous_new"),
    path("anonymous/open/", views.anonymous_open, name="anonymous_open"),
    path("exit/", views.quick_exit, name="quick_exit"),
]
