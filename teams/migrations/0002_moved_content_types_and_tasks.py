"""What still names the moved models or task by their old app: content types (and with
them permissions and admin log entries) and queued task rows."""

from django.db import migrations

MODELS = [
    "team",
    "membership",
    "teamexport",
    "historicalteam",
    "historicalmembership",
    "historicalteam_managers",
]
TASKS = {"assessments.tasks.team_export_build": "teams.tasks.team_export_build"}


def forwards(apps, schema_editor):
    _move(apps, "assessments", "teams", TASKS)


def backwards(apps, schema_editor):
    _move(apps, "teams", "assessments", {new: old for old, new in TASKS.items()})


def _move(apps, source, target, tasks):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # On a new database the content types are made after migrating, under the new app.
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in tasks.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
