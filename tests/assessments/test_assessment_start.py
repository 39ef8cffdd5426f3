"""Starting, or resuming, an assessment from an occupation page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment
from tests.assessments.conftest import TECHNICIAN, url

pytestmark = pytest.mark.django_db

START = reverse("assessments:assessment-start")


def test_the_occupation_page_offers_to_start(alice_client, technician_occupation):
    html = alice_client.get(technician_occupation.get_absolute_url()).content.decode()
    assert "Start a self-assessment" in html
    assert f'action="{START}"' in html


def test_starting_creates_a_draft_and_opens_the_rating_page(alice, alice_client):
    response = alice_client.post(START, {"occupation": TECHNICIAN})

    assessment = Assessment.objects.get(user=alice)
    assert assessment.is_draft and assessment.occupation.code == TECHNICIAN
    assert response["Location"] == url("assessment-rate", assessment)


def test_starting_again_resumes_the_open_draft(alice_client, draft):
    html = alice_client.get(draft.occupation.get_absolute_url()).content.decode()
    assert "Resume your draft assessment" in html

    response = alice_client.post(START, {"occupation": TECHNICIAN}, headers={"HX-Request": "true"})

    assert response["Location"] == url("assessment-rate", draft)
    assert Assessment.objects.count() == 1


def test_a_new_draft_can_start_once_the_last_one_is_submitted(alice, alice_client, draft):
    Assessment.objects.filter(pk=draft.pk).update(status="submitted", submitted_at=draft.created_at)

    alice_client.post(START, {"occupation": TECHNICIAN})

    assert list(Assessment.objects.filter(user=alice).values_list("status", flat=True)) == [
        "draft",
        "submitted",
    ]


def test_each_person_has_their_own_draft(alice_client, bob, draft):
    bob_draft = Assessment.objects.create(user=bob, occupation=draft.occupation)

    response = alice_client.post(START, {"occupation": TECHNICIAN})

    assert response["Location"] == url("assessment-rate", draft)
    assert response["Location"] != url("assessment-rate", bob_draft)


def test_an_unknown_occupation_is_a_404(alice_client):
    assert alice_client.post(START, {"occupation": "9999.9"}).status_code == 404
    assert alice_client.post(START, {}).status_code == 404
    assert not Assessment.objects.exists()


def test_an_occupation_without_a_profile_is_refused(alice_client, make_profile):
    make_profile(0, code="EMPTY")

    response = alice_client.post(START, {"occupation": "EMPTY"})

    assert response.status_code == 400
    assert not Assessment.objects.exists()


def test_start_only_accepts_posts_from_signed_in_users(alice_client):
    assert alice_client.get(START).status_code == 405
    response = Client().post(START, {"occupation": TECHNICIAN})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Assessment.objects.exists()
