from __future__ import annotations

from django.db.models import Q, QuerySet

from audit.models import AuditEvent

# Kept in the log but not an account's history: a lease is renewed every few minutes while a collector
# has the account open, and would bury the attempts and payments (the lease row keeps its expiry).
NOT_HISTORY = ("desk.lease.renewed",)


def account_events(*, account_id: int, limit: int = 100) -> QuerySet[AuditEvent]:
    """What happened to an account, newest first; page views and lease renewals are left out (they
    are not history)."""
    return (
        AuditEvent.objects.filter(account_id=account_id)
        .exclude(action__endswith=".viewed")
        .exclude(action__in=NOT_HISTORY)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )


def account_views(*, account_id: int, limit: int = 100) -> QuerySet[AuditEvent]:
    """Who was shown this account, newest first: its own page views and the list pages that listed it."""
    return (
        AuditEvent.objects.filter(action__endswith=".viewed")
        .filter(Q(account_id=account_id) | Q(account_ids__contains=[account_id]))
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
