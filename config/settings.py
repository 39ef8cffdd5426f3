"""Gapwise settings: one file, driven by environment variables.

Development needs none of them: SQLite in var/, DEBUG on. Production sets DEBUG=0,
SECRET_KEY, ALLOWED_HOSTS and usually DATABASE_URL=postgres://...
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable. Anything else stops start-up: DEBUG=flase must not read as false."""
    value = os.environ.get(name)
    if value is None:
        return default
    value = value.strip().lower()
    if value not in TRUE | FALSE:
        raise ImproperlyConfigured(
            f"{name}={os.environ[name]!r}: use 1 or 0 (or true/false, yes/no, on/off)."
        )
    return value in TRUE


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: a whole number is needed.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # First, so its commands (db_worker with a heartbeat) win over the libraries' own.
    "config",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "axes",
    "simple_history",
    "django_tasks_db",
    "taxonomy",
    "assessments",
    "teams",
    "identity",
    "api",
]

MIDDLEWARE = [
    # The middlewares that only add headers come first (outermost), so that every response
    # passes back through them, also those answered early further in: WhiteNoise's static
    # files, CommonMiddleware's 400 for a host we do not serve, a refused body. This departs
    # from "WhiteNoise right after SecurityMiddleware"; WhiteNoise still comes before
    # everything that reads the request (the body check reads its headers only).
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.http.request_body_middleware",  # refuses a body too large before it is read
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages compressed on the wire (static files come compressed from WhiteNoise). Django
    # pads each compressed page with random bytes against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.http.private_cache_middleware",  # nothing sent to a signed-in person is cached
    "simple_history.middleware.HistoryRequestMiddleware",  # who made each change
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.http.htmx_signed_out_middleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "teams.context_processors.teams",
                "identity.context_processors.sso",
            ],
        },
    },
]

# SQLite by default so a clone runs with nothing else installed; DATABASE_URL switches
# to PostgreSQL (or any database dj-database-url understands) with no code change.
SQLITE_PATH = BASE_DIR / "var" / "gapwise.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{SQLITE_PATH}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue on the
        # busy timeout instead of failing with "database is locked" mid-transaction.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    SQLITE_PATH.parent.mkdir(exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds rate-limit counters (config/ratelimit.py). REDIS_URL shares them between
# app processes; without it each process keeps its own (limits then hold per process).
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}


# Requests per seconds for each caller (a signed-in user, else an address) on the pages that
# cost the most, so one person cannot starve the rest: RATE_LIMIT_SEARCH=120/60 and so on.
def env_rate(name: str, default: str) -> str:
    """A rate as REQUESTS/SECONDS, both whole numbers above 0: checked at start-up."""
    value = os.environ.get(name, default)
    requests, _, seconds = value.partition("/")
    if not (requests.isdigit() and seconds.isdigit() and int(requests) and int(seconds)):
        raise ImproperlyConfigured(f"{name}={value!r}: give requests/seconds, e.g. 120/60.")
    return value


RATE_LIMITS = {
    scope: env_rate(f"RATE_LIMIT_{scope.upper().replace('-', '_')}", default)
    for scope, default in {
        "search": "120/60",
        "report": "60/60",
        "team-report": "60/60",
        "export": "10/60",
        "api": "600/60",  # per token
    }.items()
}

# A caller's requests running at once on each limited scope, and how long a refusal waits
# before it is answered (config/ratelimit.py).
RATE_LIMIT_IN_FLIGHT = env_int("RATE_LIMIT_IN_FLIGHT", 2)
REFUSAL_HOLD_MS = env_int("REFUSAL_HOLD_MS", 1000)

# A rating last set or confirmed longer ago than this is stale: reports say so, and the
# next draft asks about it first.
STALE_AFTER_MONTHS = env_int("STALE_AFTER_MONTHS", 12)

# Imports and full team exports run as Django tasks, queued in the database (in the same
# transaction as what asked for them) and run by `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Each worker records a heartbeat this often; a task whose worker has not been heard from
# for the lease is marked failed (config/tasks.py), so a killed worker's task is not
# "running" forever. The lease spans several heartbeats, so one slow write is no death.
TASK_HEARTBEAT_SECONDS = env_int("TASK_HEARTBEAT_SECONDS", 10)
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 60)
if TASK_LEASE_SECONDS < 2 * TASK_HEARTBEAT_SECONDS:
    raise RuntimeError("TASK_LEASE_SECONDS must be at least twice TASK_HEARTBEAT_SECONDS.")

PASSWORD_HASHERS = [
    "config.hashers.OwaspArgon2PasswordHasher",
    # Older hashes still verify, and are upgraded to Argon2 at the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses sign-in while locked out
    "identity.backends.PasswordBackend",  # ModelBackend, closed to all but superusers by SSO_ONLY
    "identity.backends.OidcBackend",  # single sign-on, when OIDC_ISSUER is set
]
# Five failed sign-ins for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Reverse proxies in front (a TLS terminator, a load balancer): the client's address is read
# through them (config.http.client_ip), so a lock-out is the attacker's, not everyone's.
PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "config.http.client_ip"


# Single sign-on with the company's identity provider (OpenID Connect, authorization code
# flow with PKCE, through mozilla-django-oidc). Off unless OIDC_ISSUER is set; the provider's
# endpoints and keys are read through discovery when first needed (identity/oidc.py).
def env_role_map(name: str) -> dict[str, str]:
    """OIDC_ROLE_MAP=provider-group=role,...: each role one of Gapwise's roles."""
    roles = {"technician", "manager", "taxonomy-admin"}
    mapping = {}
    for item in env_list(name, []):
        group, _, role = item.rpartition("=")
        if not group.strip() or role.strip() not in roles:
            raise ImproperlyConfigured(
                f"{name}: {item!r} should read group=role, the role one of {sorted(roles)}."
            )
        mapping[group.strip()] = role.strip()
    return mapping


OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
if OIDC_ISSUER and not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too.")
_issuer = urlsplit(OIDC_ISSUER)
# Plain HTTP only on loopback (a provider in the tests, or one on a developer's machine).
if OIDC_ISSUER and not (
    _issuer.scheme == "https"
    or (_issuer.scheme == "http" and _issuer.hostname in {"127.0.0.1", "localhost", "::1"})
):
    raise ImproperlyConfigured(f"OIDC_ISSUER={OIDC_ISSUER!r}: the issuer must be an https:// URL.")
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES", "openid email profile")
OIDC_ROLES_CLAIM = os.environ.get("OIDC_ROLES_CLAIM", "groups")
OIDC_ROLE_MAP = env_role_map("OIDC_ROLE_MAP")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO", "RS256")
if OIDC_RP_SIGN_ALGO not in {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}:
    raise ImproperlyConfigured(
        f"OIDC_SIGN_ALGO={OIDC_RP_SIGN_ALGO!r}: use RS256 or ES256 (or 384, 512)."
    )
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # the hint that ends the provider's session at sign-out
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "identity:sso-callback"
OIDC_OP_LOGOUT_URL_METHOD = "identity.oidc.sign_out_url"
# Local passwords off for everyone but superusers (the break-glass accounts).
SSO_ONLY = env_bool("SSO_ONLY", False)
# A team that SCIM provisioning creates (from a group) assesses its members against this.
SCIM_TEAM_OCCUPATION = os.environ.get("SCIM_TEAM_OCCUPATION", "3512.4")

# Idle sessions end after SESSION_IDLE_MINUTES (each request restarts the clock), and
# when the browser closes. Django rotates the session key at sign-in and deletes the
# session at sign-out.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 60) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "assessments:assessment-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/semantic.html"

# Headers on every response. No inline script or style anywhere: htmx and our script
# are static files, styles are in static CSS. HSTS goes out on HTTPS responses only.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if OIDC_ISSUER:
    # Sign-out is a form whose answer redirects to the provider's end_session_endpoint, and
    # browsers hold each redirect of a form's navigation to form-action.
    SECURE_CSP["form-action"].append("/".join(OIDC_ISSUER.split("/")[:3]))
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Production runs behind a proxy that terminates HTTPS. `make serve` sets HTTPS=0 to serve
# plain HTTP on loopback, where secure-only cookies would never come back.
HTTPS = env_bool("HTTPS", not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# The occupation admin posts five fields per profile line; long profiles exceed the default 1,000.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Every request body, of any type, files included: larger ones are refused with 413 before
# they are read (config.http.request_body_middleware). Nothing here uploads files.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # 2.5 MB

# E-mail (review cycles' notices and reminders), sent by the task worker, never inside a
# request. In development without EMAIL_HOST every e-mail is printed on the console (make run
# shows them); in production the default is an SMTP server on the machine itself.
_email_host = os.environ.get("EMAIL_HOST", "" if DEBUG else "localhost")
# Django 6.1's MAILERS, made from the usual EMAIL_* variables (its EMAIL_* settings are
# deprecated).
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _email_host,
            "port": env_int("EMAIL_PORT", 25),
            "username": os.environ.get("EMAIL_HOST_USER", ""),
            "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", False),
            "timeout": env_int("EMAIL_TIMEOUT", 30),
        },
    }
    if _email_host
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Gapwise <gapwise@localhost>")
# Where links in e-mails point: the site as people reach it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
