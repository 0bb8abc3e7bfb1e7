from django.urls import path, re_path

from api import cases, insights, roles, views

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
    path(
        "reports/<uuid:report_id>/messages/",
        cases.ReportMessagesView.as_view(),
        name="report_messages",
    ),
    path(
        "reports/<uuid:report_id>/statistics-consent/",
        views.StatisticsConsentView.as_view(),
        name="report_statistics_consent",
    ),
    path("cases/", cases.CaseListView.as_view(), name="cases"),
    path("cases/<uuid:case_id>/", cases.CaseDetailView.as_view(), name="case"),
    path(
        "cases/<uuid:case_id>/assignments/",
        cases.AssignmentsView.as_view(),
        name="case_assignments",
    ),
    path(
        "cases/<uuid:case_id>/assignments/<str:username>/",
        cases.AssignmentDetailView.as_view(),
        name="case_assignment",
    ),
    path(
        "cases/<uuid:case_id>/transitions/",
        cases.TransitionsView.as_view(),
        name="case_transitions",
    ),
    path("cases/<uuid:case_id>/severity/", cases.SeverityView.as_view(), name="case_severity"),
    path("cases/<uuid:case_id>/notes/", cases.NotesView.as_view(), name="case_notes"),
    path("cases/<uuid:case_id>/messages/", cases.CaseMessagesView.as_view(), name="case_messages"),
    path("cases/<uuid:case_id>/audit/", cases.CaseAuditView.as_view(), name="case_audit"),
    path("cases/<uuid:case_id>/matches/", cases.MatchesView.as_view(), name="case_matches"),
    path(
        "cases/<uuid:case_id>/matches/<uuid:match_id>/<str:action>/",
        cases.MatchDecisionView.as_view(),
        name="case_match_decision",
    ),
    path("resources/", cases.ResourceListView.as_view(), name="resources"),
    path("insights/counts/", insights.CountsView.as_view(), name="insight_counts"),
    path("anonymous/reports/", views.AnonymousReportView.as_view(), name="anonymous_reports"),
    path("anonymous/login/", views.ReceiptLoginView.as_view(), name="anonymous_login"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="logout_all"),
    path("auth/sessions/", views.SignInListView.as_view(), name="sign_ins"),
    path("auth/sessions/<uuid:sign_in_id>/", views.SignInDetailView.as_view(), name="sign_in"),
    path("role-requests/", roles.RoleRequestListView.as_view(), name="role_requests"),
    path(
        "role-requests/<uuid:request_id>/confirm/",
        roles.RoleConfirmView.as_view(),
        name="role_request_confirm",
    ),
    path(
        "role-requests/<uuid:request_id>/decline/",
        roles.RoleDeclineView.as_view(),
        name="role_request_decline",
    ),
    re_path(r"^", views.not_found, name="not_found"),  # last: any other address
]
