"""Request and response helpers every app shares."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import resolve_url
from django.template.defaultfilters import filesizeformat
from django.utils.csp import build_policy
from django.utils.http import content_disposition_header, parse_header_parameters, urlencode
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _
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


def unsupported_content_type(content_type: str) -> str | None:
    """Why a request with this Content-Type is refused (415), or None if it is not.

    A charset other than UTF-8: Django decodes forms and the query string with it. A form
    in UTF-16 it refuses with BadRequest, and its 400 page, reading the form again for the
    CSRF check, raised that again, up to the server (a bare 500); a name such as zlib or
    rot13 is no text encoding and raised while Django built the request. So did a
    parameter in an encoding Django cannot read (RFC 2231: `a*=nonsense''x`). Browsers and
    htmx send UTF-8 or no charset.
    """
    try:
        params = parse_header_parameters(content_type)[1]
    except ValueError:  # UnicodeError too
        return _("The Content-Type cannot be read.")
    if params.get("charset", "utf-8").lower() != "utf-8":
        return _("Send the request in UTF-8.")
    return None


def request_body_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A request body is refused before anything reads it when it is larger than
    DATA_UPLOAD_MAX_MEMORY_SIZE, whatever its type (Django's own check leaves file parts
    out), or when it comes without a Content-Length (HTTP/1.1 chunked), which Django would
    read as an empty body. Nothing here takes files or streams.

    A request naming a charset other than UTF-8 is refused too (unsupported_content_type()).
    When served, config/wsgi.py has refused it already; this covers the other ways into
    Django (the test client, ASGI).
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def middleware(request: HttpRequest) -> HttpResponse:
        if "HTTP_TRANSFER_ENCODING" in request.META:
            return refused(request, _("Send the request body with a Content-Length."), status=411)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return refused(request, _("The Content-Length is not a number of bytes."), status=400)
        if length > limit:
            return refused(
                request,
                _("The request is too large: at most %(size)s.") % {"size": filesizeformat(limit)},
                status=413,
            )
        if unsupported := unsupported_content_type(request.META.get("CONTENT_TYPE", "")):
            return refused(request, unsupported, status=415)
        return get_response(request)

    return middleware


# The JSON API answers its refusals in its own shape, those made here before it runs too.
API_PREFIX = "/api/"
REFUSAL_CODES = {400: "bad-request", 411: "length-required", 413: "too-large"}
REFUSAL_CODES[415] = "unsupported-media-type"


def refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        body = {"code": REFUSAL_CODES[status], "message": str(message), "details": []}
        return JsonResponse({"error": body}, status=status)
    return refuse(message, status=status)


def private_cache_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Whatever a signed-in person is sent may hold their data or their team's, so no cache
    keeps it, shared or the browser's on disk: `Cache-Control: private, no-store`, unless
    the view chose its own (admin pages and downloads choose as strict)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if "Cache-Control" not in response and request.user.is_authenticated:
            response["Cache-Control"] = "private, no-store"
        return response

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


def security_headers(*, https: bool) -> dict[str, str]:
    """The security headers Django's middlewares put on a response, for answers written
    where they do not run: gunicorn's own errors (config/gunicorn.py) and a refusal raised
    inside SecurityMiddleware (config.views.bad_request). A test compares them with a page's."""
    headers = {
        "Content-Security-Policy": build_policy(settings.SECURE_CSP),
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
    }
    if https and settings.SECURE_HSTS_SECONDS:
        hsts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        hsts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
        hsts += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        headers["Strict-Transport-Security"] = hsts
    return headers
