from __future__ import annotations

from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    """Holds, consents and designations now; the rule engine (pure functions over facts) with the
    [compliance] issue."""

    name = "compliance"
    verbose_name = "Compliance"
