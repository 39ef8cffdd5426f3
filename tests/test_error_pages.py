"""400, 403, 404, 429 and 500 in the site's own layout, with a way back, with DEBUG off."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import include, path, reverse

from config.urls import urlpatterns as site

pytestmark = pytest.mark.django_db


def forbidden(request):
    raise PermissionDenied("Your account has no role that may do this: ask an administrator.")


def suspicious(request):
    raise SuspiciousOperation("a tampered request")


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [
    path("forbidden/", forbidden),
    path("suspicious/", suspicious),
    path("broken/", broken),
    path("", include(site)),
]


def in_the_layout(response, status: int, heading: str) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert f'<h1>{heading} <span class="code">{status}</span></h1>' in html
    assert '<header class="site-header">' in html and 'rel="icon"' in html
    assert f'href="{reverse("taxonomy:home")}">Go to the start page</a>' in html
    return html


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_missing_page_is_the_sites_404(alice_client):
    html = in_the_layout(alice_client.get("/no-such-page/"), 404, "Page not found")
    assert "My assessments" in html  # signed in: the menu is there


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_refusal_is_the_sites_403_with_its_reason(alice_client):
    html = in_the_layout(alice_client.get("/forbidden/"), 403, "Not allowed")
    assert "ask an administrator" in html


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_tampered_request_is_the_sites_400_and_names_nothing_of_it(client):
    html = in_the_layout(client.get("/suspicious/"), 400, "Bad request")
    assert "tampered" not in html


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_crash_is_the_sites_500_without_its_details():
    client = Client(raise_request_exception=False)
    html = in_the_layout(client.get("/broken/"), 500, "Something went wrong")
    assert "RuntimeError" not in html and "a bug" not in html


@override_settings(DEBUG=False, RATE_LIMITS={"search": "1/60", "report": "1/60"})
def test_too_many_page_loads_are_the_sites_429_with_retry_after(alice_client):
    alice_client.get(reverse("taxonomy:occupation-list"))

    response = alice_client.get(reverse("taxonomy:occupation-list"))

    html = in_the_layout(response, 429, "Too many requests")
    assert int(response["Retry-After"]) > 0
    assert f"Try again in {response['Retry-After']} second" in html
    htmx = alice_client.get(reverse("taxonomy:occupation-list"), headers={"HX-Request": "true"})
    assert (htmx.status_code, htmx["Content-Type"]) == (429, "text/plain; charset=utf-8")


def test_every_page_names_a_favicon_that_exists(client):
    assert (
        'rel="icon" href="/static/favicon.svg"' in client.get("/accounts/login/").content.decode()
    )
    assert Path(finders.find("favicon.svg")).read_text().startswith("<svg")
