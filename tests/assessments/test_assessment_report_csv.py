"""The gap report as CSV: the header row, then one row per competence, nothing else."""

from __future__ import annotations

import csv
import io

import pytest

from assessments.services import assessment_start, assessment_submit
from taxonomy.models import Competence
from tests.assessments.conftest import rate, rate_all, url

pytestmark = pytest.mark.django_db

HEADER = (
    "competence_uri,competence,relation,kind,reuse_level,target_level,weight,self_level,state,"
    "gap,met"
)


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_csv_has_the_header_and_one_row_per_competence(alice, alice_client, draft):
    rate_all(draft, lambda r: 2)
    assessment_submit(assessment=draft, user=alice)

    response = alice_client.get(url("assessment-report-csv", draft))

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="gap-report-3512.4-' in response["Content-Disposition"]
    table = rows(response)
    assert ",".join(table[0]) == HEADER
    assert len(table) == 81
    by_title = {row[1]: row for row in table[1:]}
    abap = by_title["ABAP"]
    assert abap == [
        "http://data.europa.eu/esco/skill/eb0e5615-1575-4a86-a1a2-7d39595033c5",
        "ABAP",
        "optional",
        "knowledge",
        "sector-specific",
        "2",
        "1",
        "2",
        "Rated",
        "0",
        "yes",
    ]
    essential = next(row for row in table[1:] if row[2] == "essential")
    assert essential[5:] == ["3", "2", "2", "Rated", "1", "no"]


def test_dont_know_and_not_rated_leave_the_level_empty_and_count_as_zero(
    alice_client, make_profile, alice
):
    occupation = make_profile(2)
    first, _ = occupation.requirements.order_by("competence__title")
    assessment = assessment_start(user=alice, occupation=occupation)
    rate(assessment, {first.competence_id: None})

    table = rows(alice_client.get(url("assessment-report-csv", assessment)))

    assert [row[5:] for row in table[1:]] == [
        ["3", "2", "", "Don't know", "3", "no"],
        ["2", "1", "", "Not rated", "2", "no"],
    ]


def test_cells_that_look_like_formulas_are_neutralised(alice, alice_client, make_profile):
    occupation = make_profile(1)
    Competence.objects.filter(requirements__occupation=occupation).update(
        title='=HYPERLINK("http://evil","x")'
    )
    assessment = assessment_start(user=alice, occupation=occupation)

    table = rows(alice_client.get(url("assessment-report-csv", assessment)))

    assert table[1][1] == '\'=HYPERLINK("http://evil","x")'


def test_someone_elses_csv_is_a_404(bob_client, draft):
    assert bob_client.get(url("assessment-report-csv", draft)).status_code == 404
