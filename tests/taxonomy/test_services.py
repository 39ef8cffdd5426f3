"""taxonomy.services: the importers' bulk writer and the crosswalk walks."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.models import Assessment, Rating
from assessments.services import assessment_start
from taxonomy import services
from taxonomy.models import CrosswalkPair, Occupation

pytestmark = pytest.mark.django_db


def test_the_bulk_writer_stores_json_values_and_updates_them(alice):
    """A dict is no key for a cache of prepared values; the writer must still store it."""
    key = uuid.UUID(int=1)
    base = {
        "args_kwargs": {"args": [1], "kwargs": {"a": [1, 2]}},
        "task_path": "taxonomy.tasks.run_import",
        "backend_name": "default",
        "run_after": timezone.now(),
        "worker_ids": ["w1"],
    }

    counts, ids = services._sync(DBTaskResult, "id", {key: base}, DBTaskResult.objects.all())
    changed = {**base, "args_kwargs": {"args": [2], "kwargs": {}}}
    again, _ = services._sync(DBTaskResult, "id", {key: changed}, DBTaskResult.objects.all())

    assert (counts.created, again.updated) == (1, 1)
    stored = DBTaskResult.objects.get(pk=ids[key])
    assert (stored.args_kwargs, stored.worker_ids) == ({"args": [2], "kwargs": {}}, ["w1"])


def test_the_bulk_writer_leaves_a_db_default_column_to_the_database(alice, technician_occupation):
    """Rating.review_comment has a db_default and no Python default."""
    draft = assessment_start(user=alice, occupation=technician_occupation)
    competence = technician_occupation.requirements.values_list("competence_id", flat=True)[0]
    key = (draft.pk, competence)

    counts, _ = services._sync(
        Rating,
        ("assessment_id", "competence_id"),
        {key: {"answered": True, "level": 2}},
        Rating.objects.filter(assessment=draft),
    )

    assert counts.created == 1
    assert Rating.objects.get(assessment=draft).review_comment == ""
    assert Assessment.objects.get(pk=draft.pk).ratings.count() == 1


def test_the_occupation_page_and_the_isco_placement_walk_the_same_chain():
    """15-1232.00 (O*NET-SOC 2019) -> 15-1151.00 (2010) -> SOC 15-1151 -> ISCO 3512."""
    support = Occupation.objects.get(code="15-1232.00")
    Occupation.objects.filter(pk=support.pk).update(group=None)

    assert services.occupations_link_isco() == 1

    support.refresh_from_db()
    shown = {c.code for c in support.crosswalk_codes() if c.scheme == "ISCO-08"}
    assert support.group.code == "3512" and support.group.code in shown
    walked = CrosswalkPair.objects.onet2019_to_soc2010(["15-1232.00"]).values_list(
        "soc2010", flat=True
    )
    assert list(walked) == ["15-1151"]


def test_an_import_keeps_each_occupations_stored_profile_figures_true(tmp_path):
    """After the default data's imports (ESCO, the newer profile, O*NET), what each
    occupation stores equals what its lines add up to."""
    for occupation in Occupation.objects.all():
        lines = list(occupation.requirements.all())
        assert (
            occupation.requirement_count,
            occupation.essential_count,
            occupation.target_total,
        ) == (
            len(lines),
            sum(line.relation == "essential" for line in lines),
            sum((line.weight * line.target_level for line in lines), Decimal(0)),
        ), occupation.code
    assert Occupation.objects.get(code="3512.4").requirement_count == 80
