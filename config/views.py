"""Health endpoints for load balancers and orchestrators (no sign-in, no session), and the
400 page."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.http import API_PREFIX, refused, security_headers


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """The process is up and answering."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready for traffic: the database answers a query."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page with every security header. SecurityMiddleware refuses a host we
    do not serve itself when it would redirect to HTTPS (the redirect needs the host), and
    such a refusal does not pass back through it."""
    if request.path.startswith(API_PREFIX):  # the API's callers read its error shape
        response = refused(request, _("Bad request."), status=400)
    else:
        response = defaults.bad_request(request, exception)
    for name, value in security_headers(https=request.is_secure()).items():
        response.headers.setdefault(name, value)
    return response
