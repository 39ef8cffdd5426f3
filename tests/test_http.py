"""config.http: what an htmx request gets once its session has ended; which request
bodies are refused before anything reads them."""

from __future__ import annotations

import gzip

import pytest
from django.urls import reverse

from assessments.services import assessment_start

LIMIT = 2_621_440  # 2.5 MB

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


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args) -> bytes:
        raise AssertionError("the body was read")

    readline = read


def post_urls(draft, team) -> list[str]:
    return [
        reverse("login"),
        reverse("logout"),
        reverse("password_change"),
        reverse("assessments:assessment-start"),
        reverse("assessments:assessment-rate", args=[draft.pk]),
        reverse("assessments:assessment-submit", args=[draft.pk]),
        reverse("teams:team-report", args=[team.pk]),
        reverse("teams:team-export-list", args=[team.pk]),
        reverse("admin:taxonomy_occupation_add"),
        "/no-such-page/",
    ]


@pytest.mark.parametrize(
    "content_type",
    [
        "multipart/form-data; boundary=xyz",
        "application/x-www-form-urlencoded",
        "application/json",
        "application/octet-stream",
    ],
)
def test_a_body_over_two_and_a_half_megabytes_is_refused_413_unread_everywhere(
    client, admin_user, draft, team, content_type
):
    client.force_login(admin_user)
    for url in post_urls(draft, team):
        response = client.generic(
            "POST",
            url,
            content_type=content_type,
            **{"CONTENT_LENGTH": str(LIMIT + 1), "wsgi.input": Unreadable()},
        )

        assert response.status_code == 413, url
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_body_of_two_and_a_half_megabytes_is_read(alice_client):
    body = b"username=alice&password=" + b"x" * (LIMIT - 24)
    assert len(body) == LIMIT

    response = alice_client.post(
        reverse("login"), body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200  # a wrong password, read and refused


def test_a_length_that_is_no_number_is_refused_400(alice_client):
    response = alice_client.generic(
        "POST", reverse("login"), **{"CONTENT_LENGTH": "twelve", "wsgi.input": Unreadable()}
    )

    assert response.status_code == 400


def test_a_body_without_a_length_is_refused_411_not_read_as_empty(alice_client, draft):
    # Django reads a body without a Content-Length (HTTP/1.1 chunked) as empty: a submit
    # sent that way would be taken as a submit without data.
    response = alice_client.generic(
        "POST",
        reverse("assessments:assessment-submit", args=[draft.pk]),
        content_type="application/x-www-form-urlencoded",
        **{"HTTP_TRANSFER_ENCODING": "chunked", "CONTENT_LENGTH": "", "wsgi.input": Unreadable()},
    )

    assert response.status_code == 411
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    draft.refresh_from_db()
    assert draft.is_draft


def test_pages_are_compressed_for_a_browser_that_accepts_gzip(
    alice_client, alice, technician_occupation
):
    draft = assessment_start(user=alice, occupation=technician_occupation)
    url = reverse("assessments:assessment-rate", args=[draft.pk])

    compressed = alice_client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    plain = alice_client.get(url)

    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    page = gzip.decompress(compressed.content).decode()
    assert 'class="rating-form"' in page
    assert len(compressed.content) < len(plain.content) / 3
    assert "Content-Encoding" not in plain
