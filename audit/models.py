from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone


class AuditEvent(models.Model):
    """One append-only row per event: who did what, to which account, when, from where.

    A database trigger (migration 0002) rejects UPDATE and DELETE, so not even a raw query or the admin
    can rewrite history. `account_id` is a plain column, not a foreign key: audit sits below accounts in
    the import layers, and an event must outlive anything it describes.
    """

    created_at = models.DateTimeField(default=timezone.now)
    # No index of its own: audit_actor_time starts with the actor (one index less to write per event).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    action = models.CharField(max_length=80, help_text="app.noun.verb, e.g. contacts.attempt.logged")
    account_id = models.BigIntegerField(null=True, blank=True)
    # A list page (the queue, the account list) writes one view event naming every account it showed:
    # one row instead of fifty, found through the GIN index by `audit.selectors.account_views`.
    account_ids = ArrayField(models.BigIntegerField(), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account_id", "-created_at"], name="audit_account_time"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_time"),
            models.Index(fields=["action", "-created_at"], name="audit_action_time"),
            # Partial: GIN would otherwise index the NULL of every other event (most of them).
            GinIndex(
                fields=["account_ids"], name="audit_account_ids", condition=Q(account_ids__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__regex=r"^[a-z_]+\.[a-z_]+\.[a-z_]+$"), name="audit_action_dotted"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"
