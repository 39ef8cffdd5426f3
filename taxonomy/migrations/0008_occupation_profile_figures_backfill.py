"""The profile figures added in 0007, worked out for the occupations already there. Its own
migration: on PostgreSQL, 0007's indexes are created at its end, after which updated rows
may no longer be waiting on deferred checks."""

from django.db import migrations, models
from django.db.models import Count, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def summarise(apps, schema_editor):
    # As OccupationQuerySet.summarise_profiles does, for the occupations already there.
    Occupation = apps.get_model("taxonomy", "Occupation")
    Requirement = apps.get_model("taxonomy", "Requirement")
    lines = Requirement.objects.filter(occupation=OuterRef("pk")).order_by()

    def total(rows, value):
        summed = rows.values("occupation").annotate(v=value).values("v")
        return Coalesce(Subquery(summed), Value(0), output_field=value.output_field)

    money = models.DecimalField(max_digits=12, decimal_places=2)
    Occupation.objects.update(
        requirement_count=total(lines, Count("pk")),
        essential_count=total(lines.filter(relation="essential"), Count("pk")),
        target_total=total(lines, Sum(F("weight") * F("target_level"), output_field=money)),
    )



class Migration(migrations.Migration):
    dependencies = [("taxonomy", "0007_occupation_profile_figures")]

    operations = [migrations.RunPython(summarise, migrations.RunPython.noop)]
