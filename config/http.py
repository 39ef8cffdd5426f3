"""Request and response helpers every app shares."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import content_disposition_header, urlencode
from django.utils.text import get_valid_filename
from django_htmx.middleware import HtmxDetails


def htmx_signed_out_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """An htmx request whose session has ended gets an answer htmx can act on, instead
    of the redirect to the sign-in page, which htmx would follow and swap into the page
    (a sign-in form inside a competence, and an autosave that seems to have worked).

    A read (GET) takes the whole page to the sign-in page, to come back afterwards. A
    write answers 401 in plain text: the page keeps what was chosen and says it was not
    saved (static/js/app.js).
    """
    login_path = urlsplit(resolve_url(settings.LOGIN_URL)).path

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and urlsplit(response["Location"]).path == login_path
            and not request.user.is_authenticated
        ):
            return response
        if request.method == "GET":
            answer = HttpResponse(status=401)
            next_url = request.htmx.current_url_abs_path or request.get_full_path()
            answer["HX-Redirect"] = f"{login_path}?{urlencode({'next': next_url})}"
            return answer
        return HttpResponse(
            "you were signed out. Sign in again.",
            status=401,
            content_type="text/plain; charset=utf-8",
        )

    return middleware


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def refuse(message: str, *, status: int) -> HttpResponse:
    """A refusal in plain text, which the autosave script shows as it is, and a browser too."""
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def download(content: bytes | str, *, filename: str, content_type: str) -> HttpResponse:
    """A file to save, never to show: a filename safe for any browser, and never kept in a
    shared cache (every download here holds somebody's data)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, get_valid_filename(filename))
    response["Cache-Control"] = "private, no-store"
    return response


def client_ip(request: HttpRequest) -> str:
    """The client's address, for sign-in lock-out and rate limits.

    Behind PROXY_COUNT reverse proxies, REMOTE_ADDR is the nearest proxy's: every client
    would share it. Each proxy appends the address it received from to X-Forwarded-For, so
    the client's is the PROXY_COUNT-th from the right; anything further left the client
    wrote itself and is never believed. A request that did not come through the proxies
    (too few entries, or not an address) counts as its REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < count:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote
