"""My assessments: drafts to continue, submitted ones with their readiness."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.services import assessment_start, assessment_submit
from tests.assessments.conftest import rate_all, url

pytestmark = pytest.mark.django_db

LIST = reverse("assessments:assessment-list")


def test_it_lists_drafts_and_submitted_assessments_with_their_result(alice, alice_client, draft):
    rate_all(draft, lambda r: 3)
    assessment_submit(assessment=draft, user=alice)
    new = assessment_start(user=alice, occupation=draft.occupation)

    html = alice_client.get(LIST).content.decode()

    assert f'href="{url("assessment-report", draft)}"' in html
    assert f'href="{url("assessment-rate", new)}"' in html
    assert "0 rated so far" in html
    # Level 3 everywhere meets every target (3 for essentials, 2 for the rest): 100 %.
    assert 'data-label="Self-rated readiness" class="num">100%</td>' in html
    assert '<td data-label="Result">Ready</td>' in html


def test_it_hides_other_peoples_assessments(bob_client, draft):
    html = bob_client.get(LIST).content.decode()
    assert "You have no assessments yet." in html
    assert url("assessment-rate", draft) not in html


def test_signing_in_lands_on_the_list(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "a-long-password-1"})
    assert response["Location"] == LIST


@pytest.mark.parametrize("htmx", [False, True])
def test_list_queries_do_not_grow_with_assessments(alice, alice_client, make_profile, htmx):
    headers = {"HX-Request": "true"} if htmx else {}
    counts = []
    for n in (1, 6):
        for i in range(n):
            occupation = make_profile(5, code=f"L{n}-{i}")
            assessment = assessment_start(user=alice, occupation=occupation)
            rate_all(assessment, lambda r: 2)
            if i % 2:
                assessment_submit(assessment=assessment, user=alice)
        with CaptureQueriesContext(connection) as queries:
            assert alice_client.get(LIST, headers=headers).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
