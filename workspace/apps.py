from __future__ import annotations

from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The account workspace: one page where a collector works an account and its guarantor. It composes
    accounts, contacts and compliance; nothing imports it."""

    name = "workspace"
    verbose_name = "Account workspace"
