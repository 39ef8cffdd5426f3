"""Links to addresses that come from data (files, admins): only http(s) ones become links."""

from __future__ import annotations

from django import template

from taxonomy.tabular import is_http_url

register = template.Library()


@register.filter
def http_url(value: str | None) -> str:
    """The address if it is http(s), else "": a javascript: URI from an old import or a
    hand edit would otherwise run on a click (only the Content-Security-Policy stopped it)."""
    return value if value and is_http_url(value) else ""
