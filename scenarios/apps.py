from __future__ import annotations

from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    """Compliance scenario files run against the desk's own records (no models of its own). It sits at
    the top of the import layers: it builds records through the services of every app below it."""

    name = "scenarios"
