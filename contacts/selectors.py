"""Reads of contact records that several pages share."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.selectors import accounts_visible_to
from contacts.models import ContactAttempt


def attempts_to_review(*, user: Any, limit: int = 100) -> QuerySet[ContactAttempt]:
    """Attempts that broke a rule (the compliance engine's judgment when they were logged) and no manager
    has reviewed yet, newest first, on accounts the user may see."""
    return (
        ContactAttempt.objects.filter(reviewed_at__isnull=True)
        .filter(~Q(violations=[]))
        .filter(accounts__in=accounts_visible_to(user))
        .distinct()
        .select_related("actor", "person", "phone", "email")
        .prefetch_related("accounts")
        .order_by("-occurred_at")[:limit]
    )
