"""What the records already say of the carry-over fields added in 0010. Its own migration:
on PostgreSQL, 0010's indexes are created at its end, which rows updated in the same
transaction (with deferred foreign-key checks pending) would refuse."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def backfill(apps, schema_editor):
    # What the records already say: a level was set when its rating last changed, and a
    # validated level dates from the review (or, unfinished, the rating's last change).
    Rating = apps.get_model("assessments", "Rating")
    Rating.objects.filter(answered=True).update(rated_at=F("updated_at"))
    reviewed = apps.get_model("assessments", "Assessment").objects.filter(pk=OuterRef("assessment"))
    Rating.objects.filter(validated_level__isnull=False).update(
        validated_at=Coalesce(Subquery(reviewed.values("reviewed_at")[:1]), F("updated_at"))
    )



class Migration(migrations.Migration):
    dependencies = [("assessments", "0010_carry_over")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
