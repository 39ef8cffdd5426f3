"""config/settings.py reads the environment; each case re-executes it in a fresh module."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from django.core.exceptions import ImproperlyConfigured

SETTINGS = Path(__file__).resolve().parents[1] / "config" / "settings.py"


def load_settings(monkeypatch, **env: str) -> ModuleType:
    for name in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("settings_under_test", SETTINGS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_default_database_is_sqlite_in_var_with_wal_and_immediate_writes(monkeypatch):
    settings = load_settings(monkeypatch)

    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(database["NAME"]) == SETTINGS.parents[1] / "var" / "gapwise.sqlite3"
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert database["OPTIONS"]["timeout"] >= 5
    assert "journal_mode=WAL" in database["OPTIONS"]["init_command"]
    assert settings.DEBUG is True


def test_database_url_switches_to_postgresql(monkeypatch):
    settings = load_settings(monkeypatch, DATABASE_URL="postgres://app@db.internal:5432/gapwise")

    database = settings.DATABASES["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["USER"]) == (
        "gapwise",
        "db.internal",
        "app",
    )


def test_production_needs_a_secret_key(monkeypatch):
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        load_settings(monkeypatch, DEBUG="0")


def test_production_reads_hosts_and_turns_on_secure_cookies(monkeypatch):
    settings = load_settings(
        monkeypatch, DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="gapwise.example.com, a.b"
    )

    assert settings.DEBUG is False
    assert settings.ALLOWED_HOSTS == ["gapwise.example.com", "a.b"]
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE
    assert settings.SECURE_HSTS_SECONDS >= 31536000


@pytest.mark.parametrize("name", ["DEBUG", "HTTPS", "SECURE_SSL_REDIRECT"])
def test_a_yes_no_variable_that_is_neither_stops_start_up_naming_it(monkeypatch, name):
    with pytest.raises(ImproperlyConfigured, match=rf"{name}='flase': use 1 or 0"):
        load_settings(monkeypatch, **{"SECRET_KEY": "x" * 50, "HTTPS": "1", name: "flase"})


@pytest.mark.parametrize(("value", "debug"), [("0", False), ("no", False), ("TRUE", True)])
def test_a_yes_no_variable_reads_the_usual_spellings(monkeypatch, value, debug):
    settings = load_settings(monkeypatch, DEBUG=value, SECRET_KEY="x" * 50)

    assert settings.DEBUG is debug


def test_a_task_lease_spans_several_heartbeats(monkeypatch):
    for name in ("TASK_HEARTBEAT_SECONDS", "TASK_LEASE_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings(monkeypatch)
    assert (settings.TASK_HEARTBEAT_SECONDS, settings.TASK_LEASE_SECONDS) == (10, 60)

    settings = load_settings(monkeypatch, TASK_HEARTBEAT_SECONDS="1", TASK_LEASE_SECONDS="3")
    assert (settings.TASK_HEARTBEAT_SECONDS, settings.TASK_LEASE_SECONDS) == (1, 3)

    with pytest.raises(RuntimeError, match="at least twice TASK_HEARTBEAT_SECONDS"):
        load_settings(monkeypatch, TASK_HEARTBEAT_SECONDS="30", TASK_LEASE_SECONDS="45")


def test_a_number_variable_that_is_not_one_stops_start_up_naming_it(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match=r"SESSION_IDLE_MINUTES='1h': a whole number"):
        load_settings(monkeypatch, SESSION_IDLE_MINUTES="1h")


@pytest.mark.parametrize("value", ["120", "120/0", "a/60", "0/60", "-1/60"])
def test_a_rate_limit_that_is_not_requests_per_seconds_stops_start_up(monkeypatch, value):
    with pytest.raises(ImproperlyConfigured, match=r"RATE_LIMIT_SEARCH=.*requests/seconds"):
        load_settings(monkeypatch, RATE_LIMIT_SEARCH=value)
