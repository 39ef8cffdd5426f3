from __future__ import annotations

import re

from django.db import migrations


def backfill(apps, schema_editor):
    # A copy of taxonomy.models.version_of: migrations do not import the live models.
    Release = apps.get_model("taxonomy", "Release")
    for release in Release.objects.all():
        match = re.search(r"(\d+(?:\.\d+)+)", release.name)
        Release.objects.filter(pk=release.pk).update(version=match.group(1) if match else "")


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0011_releases")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
