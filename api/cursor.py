"""Cursor pagination: a page ends with the URL of the next, whose cursor is the last key
seen, signed (so a client cannot forge one) and bound to the list it came from."""

from __future__ import annotations

from django.core import signing
from django.db.models import QuerySet
from django.http import HttpRequest

from api.errors import ApiError

SALT = "api.cursor"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def page(request: HttpRequest, rows: QuerySet, *, key: str, cursor: str | None, limit: int) -> dict:
    """{"items": up to `limit` rows after the cursor, "next": the next page's URL or None}.
    `key` is a unique field to order by, "-" first for descending."""
    field = key.removeprefix("-")
    rows = rows.order_by(key)
    if cursor:
        try:
            path, last = signing.loads(cursor, salt=SALT)
        except (signing.BadSignature, ValueError, TypeError):
            raise ApiError(400, "bad-cursor", "This cursor is not one we gave.") from None
        if path != request.path:
            raise ApiError(400, "bad-cursor", "This cursor belongs to another list.")
        lookup = "lt" if key.startswith("-") else "gt"
        rows = rows.filter(**{f"{field}__{lookup}": last})
    found = list(rows[: limit + 1])
    next_url = None
    if len(found) > limit:
        found = found[:limit]
        query = request.GET.copy()
        query["cursor"] = signing.dumps([request.path, getattr(found[-1], field)], salt=SALT)
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"items": found, "next": next_url}
