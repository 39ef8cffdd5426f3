"""Helpers for tests of one person's assessment; the fixtures are in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from assessments.models import Assessment
from assessments.services import Answer, assessment_start, assessment_submit, ratings_save
from taxonomy.models import Requirement

TECHNICIAN = "3512.4"


def rate(assessment: Assessment, levels: dict[int, int | None]) -> None:
    """Save answers straight through the service: competence id -> level (None: don't know)."""
    ratings_save(
        assessment=assessment,
        answers=[Answer(cid, True, level, "", "") for cid, level in levels.items()],
    )


def rate_all(assessment: Assessment, level: Callable[[Requirement], int | None]) -> None:
    requirements = assessment.occupation.requirements.select_related("competence")
    rate(assessment, {r.competence_id: level(r) for r in requirements})


def url(name: str, assessment: Assessment) -> str:
    return reverse(f"assessments:{name}", args=[assessment.pk])


def rating_steps(client, assessment: Assessment) -> list[str]:
    """Every step of the rating page, as HTML, following the "Next" buttons' steps."""
    pages, number = [], 1
    while True:
        response = client.get(url("assessment-rate", assessment), {"step": number})
        assert response.status_code == 200, number
        html = response.content.decode()
        pages.append(html)
        if f'name="next" value="step-{number + 1}"' not in html:
            return pages
        number += 1


def submitted(user, occupation, levels: dict[int, int | None]) -> Assessment:
    """A submitted assessment with the given levels (competence id -> level, None: don't know)."""
    assessment = assessment_start(user=user, occupation=occupation)
    rate(assessment, levels)
    return assessment_submit(assessment=assessment, user=user)


def submitted_at_level(user, occupation, level: int) -> Assessment:
    """A submitted assessment with every competence of the profile at `level`."""
    competences = occupation.requirements.values_list("competence_id", flat=True)
    return submitted(user, occupation, dict.fromkeys(competences, level))
