"""Security settings and behaviour: deploy checks, headers, passwords, lockout, sessions,
CSRF and the health endpoints."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.http import security_headers
from tests.live import ROOT, child_env

PASSWORD = "a-long-password-1"
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3J9-production-test-key-with-enough-entropy-0123456789abcdefXYZ",
    "ALLOWED_HOSTS": "gapwise.example.com",
}


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter, so settings are read from this environment."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="config.settings", **env),
        capture_output=True,
        text=True,
    )


def test_the_deploy_checks_pass_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=child_env(**PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": "", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    result = run_python("import django; django.setup()", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


PAGES = [
    ("login", lambda: reverse("login"), False),
    ("about", lambda: reverse("taxonomy:about"), False),
    ("search", lambda: reverse("taxonomy:occupation-list") + "?q=tech", True),
    ("occupation", lambda: reverse("taxonomy:occupation-detail", args=["3512.4"]), True),
    ("profile csv", lambda: reverse("taxonomy:occupation-profile-csv", args=["3512.4"]), True),
    ("my assessments", lambda: reverse("assessments:assessment-list"), True),
    ("health", lambda: reverse("healthz"), False),
    ("not found", lambda: "/no-such-page/", False),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "url", "signed_in"), PAGES, ids=[p[0] for p in PAGES])
def test_every_kind_of_response_carries_the_security_headers(client, alice, kind, url, signed_in):
    if signed_in:
        client.force_login(alice)
    response = client.get(url(), secure=True)

    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize("https_redirect", [False, True])
def test_a_refusal_of_a_host_we_do_not_serve_carries_them(client, settings, https_redirect):
    # With the HTTPS redirect on, SecurityMiddleware itself refuses the host: building the
    # redirect needs it.
    settings.SECURE_SSL_REDIRECT = https_redirect
    response = client.get("/accounts/login/", headers={"host": "evil.example"})

    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_answers_written_outside_django_carry_the_same_headers_as_its_pages(client):
    page = client.get(reverse("login"), secure=True)
    names = [*security_headers(https=True)]

    assert security_headers(https=True) == {name: page[name] for name in names}
    assert names == [
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Strict-Transport-Security",
    ]
    assert "Strict-Transport-Security" not in security_headers(https=False)


@pytest.mark.django_db
def test_htmx_fragments_carry_them_too(alice_client):
    response = alice_client.get(
        reverse("taxonomy:occupation-list"), {"q": "tech"}, headers={"HX-Request": "true"}
    )
    assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        lambda: reverse("login"),
        lambda: reverse("taxonomy:occupation-list"),
        lambda: reverse("taxonomy:occupation-detail", args=["3512.4"]),
        lambda: reverse("assessments:assessment-list"),
        lambda: reverse("password_change"),
    ],
)
def test_pages_hold_no_inline_script_or_style(alice_client, url):
    html = alice_client.get(url()).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers


@pytest.mark.django_db
def test_admin_history_pages_hold_no_inline_style(admin_client, technician_occupation):
    for title in ("ICT support technician", "ICT help desk technician"):
        technician_occupation.title = title
        technician_occupation.save()
    history = reverse("admin:taxonomy_occupation_history", args=[technician_occupation.pk])
    record = technician_occupation.history.earliest()
    version = f"{history}{record.history_id}/"

    for url in (history, version):
        html = admin_client.get(url).content.decode()
        assert "ICT support technician" in html
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url


def test_passwords_are_hashed_with_argon2id_at_owasps_settings_and_need_twelve_characters():
    assert make_password("correct horse battery").startswith(
        "argon2$argon2id$v=19$m=19456,t=2,p=1$"
    )
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Tr0ub4dor&3")  # 11
    validate_password("Tr0ub4dor&33x")


def sign_in(client: Client, password: str):
    return client.post(reverse("login"), {"username": "alice", "password": password})


@pytest.mark.django_db
def test_repeated_failed_sign_ins_lock_the_account_with_a_clear_message(client, alice):
    for _ in range(4):
        response = sign_in(client, "wrong-password-123")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()

    response = sign_in(client, "wrong-password-123")
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()

    response = sign_in(client, PASSWORD)  # even the right password, while locked
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_good_sign_in_clears_earlier_failures(client, alice):
    for _ in range(3):
        sign_in(client, "wrong-password-123")
    assert sign_in(client, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(3):
        assert sign_in(client, "wrong-password-123").status_code == 200


@pytest.mark.django_db
def test_the_session_key_rotates_at_sign_in_and_dies_at_sign_out(client, alice):
    session = client.session
    session["seen"] = True
    session.save()
    before = session.session_key
    client.cookies["sessionid"] = before

    assert sign_in(client, PASSWORD).status_code == 302
    during = client.cookies["sessionid"].value
    assert during != before
    assert not Session.objects.filter(session_key=before).exists()

    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=during).exists()
    assert client.get(reverse("assessments:assessment-list")).status_code == 302


@pytest.mark.django_db
def test_an_idle_session_expires(client, alice, settings):
    assert settings.SESSION_SAVE_EVERY_REQUEST and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    client.force_login(alice)
    url = reverse("assessments:assessment-list")
    assert client.get(url).status_code == 200
    key = client.cookies["sessionid"].value
    # Each request pushes the expiry on; an hour of silence ends it.
    expiry = Session.objects.get(session_key=key).expire_date
    assert expiry > timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(1))
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_posts_without_the_csrf_token_fail_and_htmx_posts_with_it_succeed(alice, settings):
    from assessments.models import Assessment
    from taxonomy.models import Occupation

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    occupation = Occupation.objects.get(code="3512.4")
    start = reverse("assessments:assessment-start")
    assert client.post(start, {"occupation": "3512.4"}).status_code == 403
    assert not Assessment.objects.exists()

    page = client.get(reverse("taxonomy:occupation-detail", args=["3512.4"]))
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.content.decode())[1]
    response = client.post(start, {"occupation": "3512.4"}, headers={"X-CSRFToken": token})
    assert response.status_code == 302
    draft = Assessment.objects.get(occupation=occupation)

    competence = occupation.requirements.values_list("competence_id", flat=True)[0]
    rate = reverse("assessments:assessment-rate", args=[draft.pk])
    data = {f"c-{competence}": "3"}
    assert client.post(rate, data, headers={"HX-Request": "true"}).status_code == 403
    response = client.post(rate, data, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert draft.ratings.get().level == 3
    submit = reverse("assessments:assessment-submit", args=[draft.pk])
    for url in (submit, reverse("logout"), reverse("password_change"), reverse("login")):
        assert client.post(url).status_code == 403
    draft.refresh_from_db()
    assert draft.is_draft


@pytest.mark.django_db
def test_health_endpoints_answer_without_signing_in(client):
    assert client.get(reverse("healthz")).content == b"ok"
    response = client.get(reverse("readyz"))
    assert (response.status_code, response.content) == (200, b"ok")
    assert "no-cache" in response["Cache-Control"]


def test_readyz_says_503_when_the_database_does_not_answer(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "c = Client(SERVER_NAME='localhost')\n"
        "print(c.get('/healthz').status_code, c.get('/readyz').status_code)\n"
    )
    # A real PostgreSQL client against a port where nothing listens.
    result = run_python(code, DATABASE_URL="postgres://postgres@127.0.0.1:9/gapwise")
    assert result.stdout.split() == ["200", "503"], result.stderr
