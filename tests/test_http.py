"""config.http: what an htmx request gets once its session has ended."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.services import assessment_start

pytestmark = pytest.mark.django_db


def test_an_autosave_without_a_session_is_told_so_in_plain_text(
    client, alice, technician_occupation
):
    draft = assessment_start(user=alice, occupation=technician_occupation)
    competence = technician_occupation.requirements.values_list("competence_id", flat=True)[0]

    response = client.post(
        reverse("assessments:assessment-rate", args=[draft.pk]),
        {f"c-{competence}": "2", "client": "page", "seq": "1"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 401
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == "you were signed out. Sign in again."
    assert "HX-Redirect" not in response
    assert not draft.ratings.exists()


def test_an_htmx_read_without_a_session_takes_the_page_to_sign_in(client):
    response = client.get(
        "/occupations/?q=network",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/occupations/?q=net"},
    )

    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Foccupations%2F%3Fq%3Dnet"
    assert response.content == b""


def test_without_htmx_the_sign_in_redirect_is_left_as_it_is(client):
    response = client.get("/occupations/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/occupations/"


def test_a_signed_in_htmx_request_is_left_as_it_is(alice_client):
    response = alice_client.get("/occupations/?q=network", headers={"HX-Request": "true"})

    assert response.status_code == 200
