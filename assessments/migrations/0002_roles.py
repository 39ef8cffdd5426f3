"""The three roles as Django groups; taxonomy admins may edit every taxonomy model."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ["technician", "manager", "taxonomy-admin"]
TAXONOMY_ADMIN_MODELS = {
    "taxonomy": None,  # every model of the app
    "assessments": {"learningresource"},
}


def create_roles(apps, schema_editor):
    # Permissions are made after migrate ends; make them now so the group can hold them.
    for app_label in TAXONOMY_ADMIN_MODELS:
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    admins = Group.objects.get(name="taxonomy-admin")
    for app_label, models in TAXONOMY_ADMIN_MODELS.items():
        permissions = Permission.objects.filter(content_type__app_label=app_label)
        if models is not None:
            permissions = permissions.filter(content_type__model__in=models)
        admins.permissions.add(*permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0001_initial"),
        ("taxonomy", "0002_default_scale"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
