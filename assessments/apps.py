from __future__ import annotations

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from assessments.views import occupation_start_panel
        from taxonomy.views import OCCUPATION_PANELS

        OCCUPATION_PANELS.append(occupation_start_panel)
