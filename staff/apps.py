from __future__ import annotations

from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = "Users and teams"

    def ready(self) -> None:
        from staff import signals  # noqa: F401 - connects the sign-in audit receivers
