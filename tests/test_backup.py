"""`backup` and `restore`: a round trip gives back the same rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from assessments.models import Assessment, LearningResource
from assessments.services import assessment_start
from taxonomy.models import Occupation
from tests.conftest import reload_default_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def default_data():
    if not Occupation.objects.exists():  # an earlier transactional test emptied it
        reload_default_data()


def everything() -> dict[str, list[tuple]]:
    """Every row of every table the project's apps own, in a fixed order."""
    return {
        model._meta.label: sorted(map(repr, model.objects.values_list()))
        for app in ("taxonomy", "assessments", "auth")
        for model in apps.get_app_config(app).get_models()
    }


def test_a_backup_restores_exactly_what_was_there(tmp_path, alice):
    assessment_start(user=alice, occupation=Occupation.objects.get(code="3512.4"))
    before = everything()
    assert sum(map(len, before.values())) > 1000
    path = tmp_path / "gapwise.backup"

    call_command("backup", str(path))
    LearningResource.objects.all().delete()
    Assessment.objects.all().delete()
    Occupation.objects.filter(code="3512.1").update(title="changed after the backup")
    call_command("restore", str(path))

    assert everything() == before


def test_restoring_a_file_that_is_not_a_backup_fails_and_changes_nothing(tmp_path):
    before = everything()
    bad = tmp_path / "not-a-backup"
    bad.write_text("hello")
    with pytest.raises(CommandError, match="not-a-backup"):
        call_command("restore", str(bad))
    with pytest.raises(CommandError, match="no such backup file"):
        call_command("restore", str(tmp_path / "missing"))
    assert everything() == before
