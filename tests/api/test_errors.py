"""Refusals made before the API runs (the body checks of config.http) come in its shape."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer, error_of

pytestmark = pytest.mark.django_db


def test_a_body_too_large_is_refused_413_unread(api_client, alice, settings):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api_client.post(
        "/api/assessments", body, content_type="application/json", headers=bearer(alice, "write")
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "too-large"


def test_a_charset_other_than_utf8_is_refused_415(api_client, alice):
    response = api_client.post(
        "/api/assessments",
        "{}",
        content_type="application/json; charset=latin-1",
        headers=bearer(alice, "write"),
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported-media-type"


def test_the_pages_keep_their_plain_text_refusals(alice_client):
    response = alice_client.post(
        "/assessments/start/", "x", content_type="text/plain; charset=latin-1"
    )
    assert response.status_code == 415
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("https_redirect", [False, True])
def test_a_host_we_do_not_serve_is_refused_400_in_the_apis_shape(
    api_client, alice, settings, https_redirect
):
    settings.SECURE_SSL_REDIRECT = https_redirect
    response = api_client.get(
        "/api/occupations", headers={**bearer(alice, "read"), "host": "evil.example"}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert error_of(response)["code"] == "bad-request"
    assert response["X-Content-Type-Options"] == "nosniff"
