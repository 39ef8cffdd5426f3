from __future__ import annotations

from django.urls import path

from assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.assessment_list, name="assessment-list"),
    path("start/", views.assessment_start_view, name="assessment-start"),
    path("<int:pk>/rate/", views.assessment_rate, name="assessment-rate"),
    path("<int:pk>/submit/", views.assessment_submit_view, name="assessment-submit"),
    path("<int:pk>/report/", views.assessment_report, name="assessment-report"),
    path("<int:pk>/report.csv", views.assessment_report_csv, name="assessment-report-csv"),
]
