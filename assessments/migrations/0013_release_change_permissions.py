"""Taxonomy admins see the release history (ReleaseChange came after the roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    app_config = apps.get_app_config("taxonomy")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admins = Group.objects.filter(name="taxonomy-admin").first()
    if admins is not None:
        admins.permissions.add(
            *Permission.objects.filter(content_type__app_label="taxonomy", content_type__model="releasechange")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0012_assessment_release"),
        ("taxonomy", "0012_release_version_backfill"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
