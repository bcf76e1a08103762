from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("staff/reports/", views.report_page, name="report"),
    path("staff/reports/report.csv", views.report_csv, name="report_csv"),
]
