"""Logging out gives the collector's account back to the queue. Django announces logouts only through a
signal (staff/signals.py listens to the same one for the audit log), so the desk listens too. A team
saved in the admin (renamed) makes its queues' shared parts stale: saved queues are listed by name and
team name (desk.queue_cache)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from staff.models import Team


@receiver(user_logged_out)
def _release_on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from desk.services import lease_release_on_logout

    if user is not None and getattr(user, "pk", None):
        lease_release_on_logout(user=user)


@receiver(post_save, sender=Team)
def _team_saved(sender: Any, instance: Team, **kwargs: Any) -> None:
    from desk.queue_cache import teams_changed

    teams_changed([instance.pk], queues=True)
