"""The app as config.wsgi serves it, except that /crash raises out of the WSGI callable, as
a bug below Django's error handling would: for tests/test_served.py, which checks what
gunicorn then answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from config.wsgi import application as django_application


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/crash":
        raise RuntimeError("a crash below Django's error handling, on purpose")
    return django_application(environ, start_response)
