from __future__ import annotations

from django.apps import AppConfig


class DeskConfig(AppConfig):
    """The collectors' desk: queues, the priority score, claim-next leases, the account workspace and the
    manager's desk view. It orchestrates accounts, contacts and (later) compliance and arrangements."""

    name = "desk"
    verbose_name = "Desk"

    def ready(self) -> None:
        from desk import signals  # noqa: F401 - logout releases the lease; a team saved refreshes its queues
