"""The app as it runs in production, for tests that need real processes: gunicorn and
the task worker on loopback, against a database of their own (a SQLite file, or a fresh
PostgreSQL database when DATABASE_URL points at PostgreSQL, as in CI).
"""

from __future__ import annotations

import http.client
import http.cookiejar
import io
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def own_database(tmp_path: Path, name: str) -> Iterator[str]:
    """A DATABASE_URL of the test's own, of the kind the suite runs on."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path}/{name}.sqlite3"
        return
    config = dj_database_url.parse(url)
    name = f"gapwise_{name}_{os.getpid()}"
    admin = psycopg.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        password=config["PASSWORD"],
        dbname=config["NAME"],
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def query(database: str, sql: str) -> list[tuple]:
    """Rows read straight from a test's own database: quick enough to poll every few
    milliseconds, where `manage.py shell` takes a second to start. A statement that reads
    nothing (ALTER TABLE) gives no rows."""
    config = dj_database_url.parse(database)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        with closing(sqlite3.connect(config["NAME"], timeout=20)) as db:
            return db.execute(sql).fetchall()
    with psycopg.connect(
        host=config["HOST"],
        port=config["PORT"],
        user=config["USER"],
        password=config["PASSWORD"],
        dbname=config["NAME"],
        autocommit=True,
    ) as db:
        cursor = db.execute(sql)
        return cursor.fetchall() if cursor.description else []


def child_env(**env: str) -> dict[str, str]:
    """This process's environment for a child, plus `env`, without what the browser tests
    set for themselves (Django's async-safety switch, which a deploy check rightly refuses)."""
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**inherited, **env}


def production_env(database: str) -> dict[str, str]:
    """Production settings on plain HTTP."""
    return child_env(
        DATABASE_URL=database,
        DEBUG="0",
        HTTPS="0",
        SECRET_KEY="live-test-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789",
        ALLOWED_HOSTS="127.0.0.1",
    )


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@contextmanager
def gunicorn(env: dict[str, str], app: str = "config.wsgi") -> Iterator[str]:
    """gunicorn with four workers on a free loopback port, configured as `make serve` runs
    it (config/gunicorn.py); yields its base URL."""
    manage(env, "collectstatic", "--no-input", "-v0")  # the manifest DEBUG=0 pages need
    port = free_port()
    command = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [command, "-c", "python:config.gunicorn", app, "--workers", "4", "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2)
            break
        # A server still starting refuses the connection, or on a busy machine accepts it
        # and answers late (TimeoutError): both mean "not yet", until the deadline.
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail(f"gunicorn did not start: {process.stderr.read()[-2000:]}")
            time.sleep(0.2)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def exchange(base: str, head: bytes, body: bytes = b"") -> Answer:
    """Send bytes as they are, head then body, and read the answer: for requests no HTTP
    client would send (a malformed request line, a body of 10 MB the server refuses before
    reading). The body goes out from a thread of its own, so an answer sent before the body
    is read is read all the same.
    """
    host, port = urllib.parse.urlsplit(base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head)

        def send_body() -> None:
            with suppress(OSError):  # the server may close once it has answered
                sock.sendall(body)

        sender = threading.Thread(target=send_body, daemon=True)
        sender.start()
        received = b""
        with suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
        sender.join(timeout=30)
    response = http.client.HTTPResponse(Received(received))  # type: ignore[arg-type]
    response.begin()
    return Answer(response.status, response.headers, response.read())


class Received:
    """What a server sent, as the socket http.client reads an answer from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self.data)


def signed_in(base: str, username: str, password: str) -> tuple[urllib.request.OpenerDirector, str]:
    """A browser-like client of its own, signed in; returns it and its CSRF token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/", timeout=10)
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(urllib.request.Request(f"{base}/accounts/login/", data=data), timeout=10)
    token = next(c.value for c in jar if c.name == "csrftoken")  # rotated at sign-in
    assert any(c.name == "sessionid" for c in jar), "sign-in failed"
    return opener, token
