from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("auth/login/", views.LoginView.as_view(), name="login"),
    path("taxonomy/", views.TaxonomyView.as_view(), name="taxonomy"),
    path("reports/", views.ReportListView.as_view(), name="reports"),
    path("reports/<uuid:report_id>/", views.ReportDetailView.as_view(), name="report"),
    path(
        "reports/<uuid:report_id>/incidents/",
        views.IncidentCreateView.as_view(),
        name="report_incidents",
    ),
    path(
        "reports/<uuid:report_id>/evidence/",
        views.EvidenceCreateView.as_view(),
        name="report_evidence",
    ),
    path(
        "reports/<uuid:report_id>/evidence/<uuid:evidence_id>/",
        views.EvidenceDownloadView.as_view(),
        name="evidence",
    ),
    path("anonymous/reports/", views.AnonymousReportView.as_view(), name="anonymous_reports"),
    path("anonymous/login/", views.ReceiptLoginView.as_view(), name="anonymous_login"),
]
