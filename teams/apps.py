from __future__ import annotations

from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams"

    def ready(self) -> None:
        from assessments.views import ASSESSMENT_LIST_PANELS
        from taxonomy.releases import IMPACTS
        from taxonomy.tasks import IMPORT_COMMANDS
        from taxonomy.views import SUGGESTIONS
        from teams.releases import release_impact
        from teams.views import cycles_panel, team_suggestions

        IMPORT_COMMANDS.add("import_people")  # queueable with enqueue_import
        SUGGESTIONS.append(team_suggestions)
        ASSESSMENT_LIST_PANELS.append(cycles_panel)  # what is due, at the top
        IMPACTS.append(release_impact)
