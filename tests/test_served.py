"""What the served app answers, through a real gunicorn configured as `make serve` runs it
(config/gunicorn.py): every answer carries the security headers, whichever layer wrote it
(a view, WhiteNoise's static files, Django's refusals, gunicorn itself)."""

from __future__ import annotations

import http.cookiejar
import os
import urllib.request
from collections.abc import Iterator

import pytest

from tests.live import Answer, exchange, gunicorn, manage, own_database, production_env, query

# What every answer carries; HSTS is for HTTPS answers only (tests/test_security.py).
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def assert_security_headers(answer: Answer) -> None:
    csp = answer.headers["Content-Security-Policy"] or ""
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, dict(answer.headers)
    for name, value in HEADERS.items():
        assert answer.headers[name] == value, (name, dict(answer.headers))


def get(base: str, path: str, **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post(base: str, path: str, body: bytes, content_type: str, **headers: str) -> Answer:
    """A POST with this body, from a client holding a CSRF cookie and sending its token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/accounts/login/", timeout=30)
    token = next(c.value for c in jar if c.name == "csrftoken")
    headers = {
        "Content-Type": content_type,
        "Content-Length": str(len(body)),
        "Cookie": f"csrftoken={token}",
        "X-CSRFToken": token,
        **headers,
    }
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items() if value]
    return exchange(base, ("\r\n".join(lines) + "\r\n\r\n").encode(), body)


def multipart(fields: dict[str, str], file: bytes) -> tuple[bytes, str]:
    boundary = "gapwise-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + file
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """The app served from a database of its own; yields its base URL and the database."""
    tmp_path = tmp_path_factory.mktemp("served")
    with own_database(tmp_path, "served") as database:
        env = production_env(database)
        manage(env, "migrate", "--no-input", "-v0")
        with gunicorn(env) as base:
            yield base, database


@pytest.fixture(scope="module")
def base(served) -> str:
    return served[0]


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/css/app.css", "text/css"),
        ("/static/js/app.js", "text/javascript"),
        ("/static/admin/img/search.svg", "image/svg+xml"),
    ],
)
def test_static_files_carry_the_security_headers(base, path, content_type):
    answer = exchange(base, get(base, path))

    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith(content_type)
    assert_security_headers(answer)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/accounts/login/", 200), ("/no-such-page/", 404), ("/occupations/", 302)],
)
def test_pages_refusals_and_redirects_carry_them(base, path, status):
    answer = exchange(base, get(base, path))

    assert answer.status == status
    assert_security_headers(answer)


def test_a_request_for_a_host_we_do_not_serve_is_refused_with_them(base):
    answer = exchange(base, get(base, "/accounts/login/").replace(b"127.0.0.1", b"evil.example"))

    assert answer.status == 400
    assert_security_headers(answer)


def test_a_server_error_in_django_carries_them(served):
    base, database = served
    # The about page reads the scale's levels: without their table it fails.
    query(database, "ALTER TABLE taxonomy_proficiencylevel RENAME TO hidden_level")
    try:
        answer = exchange(base, get(base, "/about/"))
    finally:
        query(database, "ALTER TABLE hidden_level RENAME TO taxonomy_proficiencylevel")

    assert answer.status == 500
    assert_security_headers(answer)
    assert exchange(base, get(base, "/about/")).status == 200


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        pytest.param(b"NOT A REQUEST\r\n\r\n", 400, id="malformed request line"),
        pytest.param(b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\n\r\n", 414, id="line too long"),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
            431,
            id="header too large",
        ),
        pytest.param(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: twelve\r\n\r\n",
            400,
            id="content length not a number",
        ),
    ],
)
def test_gunicorns_own_refusals_carry_them(base, request_bytes, status):
    answer = exchange(base, request_bytes)

    assert answer.status == status
    assert_security_headers(answer)


def test_an_exception_escaping_the_app_is_answered_500_with_them(served):
    with gunicorn(production_env(served[1]), app="tests.crashing_wsgi") as base:
        answer = exchange(base, get(base, "/crash"))
        assert exchange(base, get(base, "/accounts/login/")).status == 200

    assert answer.status == 500
    assert b"Traceback" not in answer.body
    assert_security_headers(answer)


@pytest.mark.parametrize("megabytes", [10, 100])
def test_a_multipart_post_of_10_or_100_mb_is_refused_413_before_it_is_read(base, megabytes):
    body, content_type = multipart(
        {"username": "nobody", "password": "a-long-password-1"}, os.urandom(megabytes << 20)
    )

    answer = post(base, "/accounts/login/", body, content_type)

    assert answer.status == 413
    assert answer.body.decode().startswith("The request is too large: at most 2.5")
    assert_security_headers(answer)


def test_a_chunked_post_is_refused_411(base):
    chunk = b"username=nobody&password=a-long-password-1"
    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunk), chunk)

    answer = post(
        base,
        "/accounts/login/",
        body,
        "application/x-www-form-urlencoded",
        **{"Transfer-Encoding": "chunked", "Content-Length": ""},
    )

    assert answer.status == 411
    assert_security_headers(answer)


def test_a_form_of_two_megabytes_is_read_as_ever(base):
    body = b"username=nobody&password=" + b"x" * (2 << 20)

    answer = post(base, "/accounts/login/", body, "application/x-www-form-urlencoded")

    assert answer.status == 200
    assert b"Please enter a correct username and password" in answer.body


def test_a_form_in_utf_16_is_refused_415_not_a_bare_server_error(base):
    # Signed out, with nothing but a CSRF cookie: Django refused the form, its 400 page
    # read the form again for the CSRF check and failed the same way, up to gunicorn.
    body = "username=nobody&password=a-long-password-1".encode("utf-16")

    answer = post(
        base, "/accounts/login/", body, "application/x-www-form-urlencoded; charset=utf-16"
    )

    assert answer.status == 415
    assert answer.body == b"Send the request in UTF-8."
    assert_security_headers(answer)


@pytest.mark.parametrize("charset", ["zlib", "rot13", "undefined"])
def test_a_charset_that_is_no_text_encoding_is_refused_415_not_a_server_error(base, charset):
    # Django decoded the query string with it while building the request, and failed.
    answer = exchange(
        base, get(base, "/about/?a=%C3%A9", **{"Content-Type": f"text/plain; charset={charset}"})
    )

    assert answer.status == 415
    assert_security_headers(answer)


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=", "multipart/form-data"])
def test_a_multipart_post_with_a_broken_boundary_is_refused_400(base, content_type):
    answer = post(base, "/accounts/login/", b"--b\r\n\r\nx\r\n--b--\r\n", content_type)

    assert answer.status == 400
    assert_security_headers(answer)


@pytest.mark.parametrize(
    "content_type",
    ["text/plain; a*=undefined''%ff", "multipart/form-data; boundary*=nonsense''x"],
)
def test_a_content_type_django_cannot_parse_is_refused_415_not_a_server_error(base, content_type):
    # An RFC 2231 parameter in an unknown encoding: Django raised while building the request.
    answer = exchange(base, get(base, "/healthz", **{"Content-Type": content_type}))

    assert answer.status == 415
    assert answer.body == b"The Content-Type cannot be read."
    assert_security_headers(answer)
