"""The WSGI application gunicorn serves (config/gunicorn.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from config.http import NOT_UTF8, not_utf8, security_headers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Django, behind one check that cannot wait for a middleware: a request naming a
    charset other than UTF-8 is refused here, because Django decodes the query string
    with that charset while it builds the request, and a name that is no text encoding
    (zlib, rot13) raises there, outside Django's error handling."""
    if not_utf8(environ.get("CONTENT_TYPE", "")):
        return refuse_charset(start_response)
    return django_application(environ, start_response)


def refuse_charset(start_response: Callable) -> Iterable[bytes]:
    """config.http.request_body_middleware's answer, with the headers Django would add."""
    body = str(NOT_UTF8).encode()
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": str(len(body)),
        **security_headers(https=settings.HTTPS),
    }
    start_response("415 Unsupported Media Type", list(headers.items()))
    return [body]
