"""gunicorn's settings, for every way the app is served: `make serve`, the live tests
(tests/live.py) and the load test (scripts/load/run.py). `gunicorn -c python:config.gunicorn`.

gunicorn answers a few requests itself, without Django: a malformed request, a request
line or headers too long, an exception escaping the app. Its worker here writes those
answers with the app's security headers, like every other answer.
"""

from __future__ import annotations

import socket

from django.conf import settings
from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from config.http import security_headers

wsgi_app = "config.wsgi"
worker_class = "config.gunicorn.Worker"
# Threads in each worker process: a person with eight tabs of slow searches cannot hold
# every process, and a request waiting on the database leaves the process to others. Up to
# half of them may hold a refusal back for a moment (config.ratelimit.HOLD_SLOTS): all eight
# tabs of one person can land on one process and still leave it eight for everyone else.
threads = 16
# Seconds an idle connection is kept: longer than the pauses between a person's requests
# (autosaves, htmx), so a closing connection rarely meets the next request on its way.
keepalive = 20
# gunicorn 27 otherwise opens one control socket per user, shared by every gunicorn of theirs.
control_socket_disable = True


class Worker(ThreadWorker):
    """gunicorn's threaded worker, whose own error answers carry the security headers."""

    def init_process(self) -> None:
        # Worker.handle_error (gunicorn/workers/base.py) chooses the status and logs, then
        # writes through util.write_error: the one place where gunicorn writes an answer.
        util.write_error = write_error
        super().init_process()


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's error answer, in plain text (its message quotes the request) and with the
    headers, which need the settings: the worker has loaded the app, so Django is set up."""
    body = f"{status_int} {reason}\n{mesg}\n".encode()
    lines = [
        f"HTTP/1.1 {status_int} {reason}",
        "Connection: close",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in security_headers(https=settings.HTTPS).items()),
    ]
    util.write_nonblock(sock, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
