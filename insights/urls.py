from django.urls import path

from insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("explore/", views.explorer, name="explorer"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("about/", views.about, name="about"),
]
