"""Per-user rate limits: the one mechanism for every limit the app sets (expensive pages
and API tokens).

Three parts, each counted per scope and caller (the signed-in user, else the client's
address, read through the proxies as config.http.client_ip does):
- a fixed window of requests (settings.RATE_LIMITS), counted in Django's cache;
- at most RATE_LIMIT_IN_FLIGHT of the caller's requests running at once, so eight tabs of
  one person take no more of the machine than two;
- a refusal is answered after a short hold (settings.REFUSAL_HOLD_MS): a client that fires again
  as soon as it is answered then sends a few requests a second, not hundreds. A thread of
  the process waits, not the CPU, and at most HOLD_SLOTS at once per process, so those held
  cannot take every thread (config/gunicorn.py has 16 per process).
With REDIS_URL set every app process shares the counts; without, each process counts on its
own, so the limits hold per process (README).
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.http import client_ip

HOLD_SLOTS = 8
_holding = threading.BoundedSemaphore(HOLD_SLOTS)
# Longer than any request runs: a count a killed process left behind lapses then.
IN_FLIGHT_TIMEOUT = 120


@dataclass(frozen=True)
class Rate:
    requests: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "120/60": 120 requests each 60 seconds."""
        requests, _, seconds = text.partition("/")
        return cls(int(requests), int(seconds))


def wait_seconds(scope: str, who: str, rate: Rate) -> int:
    """Count one request of `who` in `scope`; 0 when it is within the rate, else how many
    seconds until the window ends."""
    now = time.time()
    window = int(now // rate.seconds)
    key = f"ratelimit:{scope}:{who}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=rate.seconds + 1)
        count = 1
    if count <= rate.requests:
        return 0
    return max(1, math.ceil((window + 1) * rate.seconds - now))


@contextmanager
def in_flight(scope: str, who: str) -> Iterator[bool]:
    """Count one running request of `who` in `scope` while the block runs; yields whether it
    is within settings.RATE_LIMIT_IN_FLIGHT."""
    key = f"inflight:{scope}:{who}"
    cache.add(key, 0, timeout=IN_FLIGHT_TIMEOUT)
    try:
        running = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=IN_FLIGHT_TIMEOUT)
        running = 1
    try:
        yield running <= settings.RATE_LIMIT_IN_FLIGHT
    finally:
        with suppress(ValueError):  # lapsed meanwhile: nothing left to take back
            cache.decr(key)


def hold() -> None:
    """Wait settings.REFUSAL_HOLD_MS before a refusal is answered, when one of the
    process's HOLD_SLOTS is free; else answer at once."""
    if settings.REFUSAL_HOLD_MS and _holding.acquire(blocking=False):
        try:
            time.sleep(settings.REFUSAL_HOLD_MS / 1000)
        finally:
            _holding.release()


def caller(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def too_many(wait: int) -> HttpResponse:
    response = HttpResponse(
        f"Too many requests: try again in {wait} seconds.",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(wait)
    return response


def refusal(request: HttpRequest, scope: str) -> HttpResponse | None:
    """Count the request against settings.RATE_LIMITS[scope]: None within it, else the 429
    to answer."""
    wait = wait_seconds(scope, caller(request), Rate.parse(settings.RATE_LIMITS[scope]))
    return too_many(wait) if wait else None


def rate_limited(scope: str) -> Callable:
    """A view limited to settings.RATE_LIMITS[scope] per caller, and to
    settings.RATE_LIMIT_IN_FLIGHT of the caller's requests at once; beyond either, 429 with
    Retry-After (after the hold), before the view does any work."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def limited(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            refused = refusal(request, scope)
            if refused is None:
                with in_flight(scope, caller(request)) as admitted:
                    if admitted:
                        return view(request, *args, **kwargs)
                refused = too_many(1)
            hold()
            if request.method == "GET" and not request.headers.get("HX-Request"):
                # A page someone opened: the site's own page, with a way back.
                wait = int(refused["Retry-After"])
                page = render(request, "429.html", {"wait": wait}, status=429)
                page["Retry-After"] = refused["Retry-After"]
                return page
            return refused

        return limited

    return decorator
