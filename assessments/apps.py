from __future__ import annotations

from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from assessments.reports import release_impact
        from assessments.views import occupation_start_panel
        from taxonomy.releases import IMPACTS
        from taxonomy.views import OCCUPATION_PANELS

        OCCUPATION_PANELS.append(occupation_start_panel)
        IMPACTS.append(release_impact)
