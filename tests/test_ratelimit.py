"""config.ratelimit: per-user limits on the expensive pages, 429 with Retry-After."""

from __future__ import annotations

import os

import pytest
import redis
from django.core.cache.backends.redis import RedisCache
from django.test import Client
from django.urls import reverse

from config import ratelimit
from config.ratelimit import Rate

pytestmark = pytest.mark.django_db
SEARCH = reverse("taxonomy:occupation-list")


def test_beyond_the_rate_a_user_gets_429_with_retry_after_and_others_go_on(
    settings, alice_client, bob
):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "3/60"}
    for _ in range(3):
        assert alice_client.get(SEARCH, {"q": "network"}).status_code == 200

    refused = alice_client.get(SEARCH, {"q": "network"})

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Too many requests" in refused.content.decode()
    other = Client()
    other.force_login(bob)
    assert other.get(SEARCH, {"q": "network"}).status_code == 200


def test_the_count_starts_again_with_the_next_window(monkeypatch):
    clock = [6000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: clock[0])
    rate = Rate(1, 60)

    assert ratelimit.wait_seconds("report", "user:1", rate) == 0
    assert ratelimit.wait_seconds("report", "user:1", rate) == 60
    clock[0] += 59
    assert ratelimit.wait_seconds("report", "user:1", rate) == 1
    clock[0] += 1
    assert ratelimit.wait_seconds("report", "user:1", rate) == 0


def test_signed_out_callers_are_counted_by_address(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "1/60"}
    request = Client(REMOTE_ADDR="203.0.113.9").get(SEARCH).wsgi_request
    assert ratelimit.caller(request) == "ip:203.0.113.9"


@pytest.mark.parametrize("scope, url_name", [("report", "assessment-report")])
def test_the_gap_report_is_limited_too(settings, alice, alice_client, draft, scope, url_name):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: "1/60"}
    url = reverse(f"assessments:{url_name}", args=[draft.pk])
    assert alice_client.get(url).status_code == 200
    assert alice_client.get(url).status_code == 429


def test_with_redis_every_process_shares_the_count(monkeypatch):
    """Two cache connections, as two gunicorn workers hold them, count together."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url).ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis does not answer at {url}")
        pytest.skip(f"Redis does not answer at {url}")
    first, second = RedisCache(url, {}), RedisCache(url, {})
    first.clear()
    rate = Rate(2, 60)

    monkeypatch.setattr(ratelimit, "cache", first)
    assert ratelimit.wait_seconds("search", "user:9", rate) == 0
    monkeypatch.setattr(ratelimit, "cache", second)
    assert ratelimit.wait_seconds("search", "user:9", rate) == 0
    assert ratelimit.wait_seconds("search", "user:9", rate) > 0
    first.clear()


def test_beyond_the_requests_a_caller_may_run_at_once_the_next_gets_429(
    settings, alice, alice_client, bob
):
    """Eight tabs of one person run two searches at a time; the others are refused at once,
    and everyone else goes on."""
    settings.RATE_LIMIT_IN_FLIGHT = 2
    with ratelimit.in_flight("search", f"user:{alice.pk}"):
        assert alice_client.get(SEARCH, {"q": "network"}).status_code == 200
        with ratelimit.in_flight("search", f"user:{alice.pk}"):
            refused = alice_client.get(SEARCH, {"q": "network"})
            other = Client()
            other.force_login(bob)
            assert other.get(SEARCH, {"q": "network"}).status_code == 200

    assert refused.status_code == 429
    assert refused["Retry-After"] == "1"
    assert alice_client.get(SEARCH, {"q": "network"}).status_code == 200


def test_a_finished_request_gives_its_place_back_even_when_the_view_fails(settings):
    settings.RATE_LIMIT_IN_FLIGHT = 1
    with pytest.raises(RuntimeError), ratelimit.in_flight("search", "user:7"):
        raise RuntimeError("the view failed")
    with ratelimit.in_flight("search", "user:7") as admitted:
        assert admitted


def test_a_refusal_is_held_back_while_the_process_has_a_slot_free(
    settings, monkeypatch, alice_client
):
    """A client firing again as soon as it is answered is slowed to the hold; with every
    slot taken (as many refusals held as the process allows) the next is answered at once."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "search": "1/60"}
    settings.REFUSAL_HOLD_MS = 250
    waits = []
    monkeypatch.setattr(ratelimit.time, "sleep", waits.append)
    alice_client.get(SEARCH)

    assert alice_client.get(SEARCH).status_code == 429
    assert waits == [0.25]

    for _ in range(ratelimit.HOLD_SLOTS):
        ratelimit._holding.acquire()
    try:
        assert alice_client.get(SEARCH).status_code == 429
    finally:
        for _ in range(ratelimit.HOLD_SLOTS):
            ratelimit._holding.release()
    assert waits == [0.25]
