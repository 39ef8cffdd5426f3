from __future__ import annotations

from django.urls import path
from django.views.generic import RedirectView

from taxonomy import views

app_name = "taxonomy"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="assessments:assessment-list"), name="home"),
    path("about/", views.about, name="about"),
    path("occupations/", views.occupation_list, name="occupation-list"),
    path("occupations/<str:code>/", views.occupation_detail, name="occupation-detail"),
    path(
        "occupations/<str:code>/profile.csv",
        views.occupation_profile_csv,
        name="occupation-profile-csv",
    ),
    path("groups/<str:code>/", views.group_detail, name="group-detail"),
]
