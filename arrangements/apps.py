from __future__ import annotations

from django.apps import AppConfig


class ArrangementsConfig(AppConfig):
    """Promises, payment plans and installments: built by the [arrangements] issue."""

    name = "arrangements"
    verbose_name = "Arrangements"
