from __future__ import annotations

from django.db import migrations

LEVELS = [
    (0, "None", "Has no knowledge of or experience with this competence."),
    (1, "Aware", "Knows what it is and why it matters, but has not applied it at work."),
    (2, "Practitioner", "Applies it to routine tasks, with guidance for anything unusual."),
    (3, "Proficient", "Applies it independently to the full range of everyday work."),
    (4, "Expert", "Handles complex or novel cases and guides others in it."),
]


def create_scale(apps, schema_editor):
    ProficiencyScale = apps.get_model("taxonomy", "ProficiencyScale")
    ProficiencyLevel = apps.get_model("taxonomy", "ProficiencyLevel")
    if ProficiencyScale.objects.exists():
        return
    scale = ProficiencyScale.objects.create(name="Gapwise 0-4")
    ProficiencyLevel.objects.bulk_create(
        ProficiencyLevel(scale=scale, value=value, name=name, descriptor=descriptor)
        for value, name, descriptor in LEVELS
    )


class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0001_initial")]
    operations = [migrations.RunPython(create_scale, migrations.RunPython.noop)]
