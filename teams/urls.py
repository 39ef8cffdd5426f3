from __future__ import annotations

from django.urls import path

from teams import views

app_name = "teams"
urlpatterns = [
    path("", views.team_list, name="team-list"),
    path("<int:pk>/", views.team_report, name="team-report"),
    path("<int:pk>/review/<int:assessment_pk>/", views.team_review, name="team-review"),
    path("<int:pk>/exports/", views.team_export_list, name="team-export-list"),
    path(
        "<int:pk>/exports/<int:export_pk>/",
        views.team_export_detail,
        name="team-export-detail",
    ),
    path(
        "<int:pk>/exports/<int:export_pk>/download/",
        views.team_export_download,
        name="team-export-download",
    ),
]
