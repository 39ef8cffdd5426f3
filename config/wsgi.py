"""The WSGI application gunicorn serves (config/gunicorn.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.http import security_headers, unsupported_content_type

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Django, behind one check that cannot wait for a middleware: Django reads the
    Content-Type while it builds the request, before any middleware runs, and some raise
    there, outside its error handling (config.http.unsupported_content_type says which).
    They are refused here, as config.http.request_body_middleware refuses them."""
    if unsupported := unsupported_content_type(environ.get("CONTENT_TYPE", "")):
        return refuse(unsupported, start_response)
    return django_application(environ, start_response)


def refuse(message: str, start_response: Callable) -> Iterable[bytes]:
    """config.http.refuse(message, status=415) with the headers Django would add."""
    body = message.encode()
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": str(len(body)),
        **security_headers(https=settings.HTTPS),
    }
    start_response("415 Unsupported Media Type", list(headers.items()))
    return [body]
