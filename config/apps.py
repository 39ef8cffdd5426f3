from __future__ import annotations

from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """What the project needs whatever the app: operations (backup, restore, the task
    worker's heartbeat) and the request/response helpers every app shares."""

    name = "config"
    verbose_name = "Operations"
