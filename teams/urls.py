from __future__ import annotations

from django.urls import path

from teams import views

app_name = "teams"
urlpatterns = [
    path("", views.team_list, name="team-list"),
    path("<int:pk>/", views.team_report, name="team-report"),
    path("email/", views.mail_preferences, name="mail-preferences"),
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
    path("<int:pk>/cycles/new/", views.cycle_create, name="cycle-create"),
    path("<int:pk>/cycles/<int:cycle_pk>/", views.cycle_board, name="cycle-board"),
    path("<int:pk>/cycles/<int:cycle_pk>/close/", views.cycle_close, name="cycle-close"),
    path(
        "<int:pk>/cycles/<int:cycle_pk>/remind/<int:assignment_pk>/",
        views.cycle_remind,
        name="cycle-remind",
    ),
    path(
        "<int:pk>/cycles/<int:cycle_pk>/excuse/<int:assignment_pk>/",
        views.cycle_excuse,
        name="cycle-excuse",
    ),
]
