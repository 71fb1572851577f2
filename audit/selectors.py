from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEvent


def account_events(*, account_id: int, limit: int = 100) -> QuerySet[AuditEvent]:
    """What happened to an account, newest first; page views are left out (they are not history)."""
    return (
        AuditEvent.objects.filter(account_id=account_id)
        .exclude(action__endswith=".viewed")
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
