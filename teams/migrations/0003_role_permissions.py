"""The roles mean something: technicians (and managers) may assess themselves, managers may
manage the teams they are named manager of. Nobody loses what they could do: existing
managers join the manager group, people in no group join the technician group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "technician": [("assessments", "assess_self")],
    "manager": [("assessments", "assess_self"), ("teams", "manage_team")],
}


def grant(apps, schema_editor):
    for app_label in ("assessments", "teams"):
        # Permissions are made after migrate ends; make them now so the groups can hold them.
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("auth", "User")
    Team = apps.get_model("teams", "Team")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in codenames:
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
    managers = Group.objects.get(name="manager")
    managers.user_set.add(*User.objects.filter(pk__in=Team.managers.through.objects.values("user")))
    technicians = Group.objects.get(name="technician")
    technicians.user_set.add(*User.objects.filter(groups__isnull=True, is_superuser=False))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(codename__in=["assess_self", "manage_team"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0002_moved_content_types_and_tasks"),
        ("assessments", "0008_role_permissions"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="team",
            options={
                "ordering": ["name"],
                "permissions": [
                    ("manage_team", "Can manage the teams they are named manager of")
                ],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
