"""Who is calling: a bearer token, looked up by its hash, acting as its owner. The API
knows no session and no cookie, so it needs no CSRF check."""

from __future__ import annotations

import functools
import re
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from api.errors import ApiError, RateLimited
from api.models import ApiToken
from config.ratelimit import Rate, hold, wait_seconds
from identity.models import hash_token

# last_used_at is written at most this often per token, not on every request.
USE_RECORDED_EVERY = timedelta(minutes=1)


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        token = token.strip()
        if not token.startswith(ApiToken.PREFIX) or len(token) > 100:
            return None
        found = (
            ApiToken.objects.usable().select_related("owner").filter(token_hash=hash_token(token))
        )
        api_token = found.first()
        if api_token is None:
            return None
        # Per token, through the same counter as every other limit (config.ratelimit).
        wait = wait_seconds("api", f"token:{api_token.pk}", Rate.parse(settings.RATE_LIMITS["api"]))
        if wait:
            hold()
            raise RateLimited(wait)
        now = timezone.now()
        if api_token.last_used_at is None or api_token.last_used_at < now - USE_RECORDED_EVERY:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        # The token acts as its owner: the same access queries as the pages, and the
        # owner's name on every history entry it writes.
        request.user = api_token.owner
        request.api_token = api_token
        if unknown := _unknown_query(request):
            details = [
                {"location": f"query.{name[:50]}", "message": "Not a parameter here."}
                for name in unknown[:10]
            ]
            raise ApiError(422, "invalid", "Unknown query parameters.", details)
        return api_token


@functools.cache
def _query_names() -> dict[tuple[str, str], frozenset[str]]:
    """(path as the schema writes it, method): the query parameters it takes."""
    from api.endpoints import api  # which is built with this module's auth

    return {
        (path, method.upper()): frozenset(
            p["name"] for p in op.get("parameters", []) if p["in"] == "query"
        )
        for path, item in api.get_openapi_schema()["paths"].items()
        for method, op in item.items()
    }


def _unknown_query(request: HttpRequest) -> list[str]:
    """A query parameter the operation does not take is refused, once the caller is known:
    a typo such as `limt` would otherwise pass unnoticed."""
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", request.resolver_match.route)
    known = _query_names().get((path, request.method))
    return [] if known is None else sorted(set(request.GET) - known)


def require_write(request: HttpRequest) -> None:
    if not request.auth.can_write:
        raise ApiError(403, "insufficient-scope", "This token may only read: it needs scope write.")
