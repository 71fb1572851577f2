"""Reads of arrangements that pages share."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from accounts.selectors import accounts_visible_to
from arrangements.models import PaymentPlan


def plans_waiting_for(*, user: Any, limit: int = 100) -> QuerySet[PaymentPlan]:
    """Plans outside policy waiting for a decision, oldest first, on accounts the user may see."""
    return (
        PaymentPlan.objects.filter(
            state=PaymentPlan.State.PENDING_APPROVAL, account__in=accounts_visible_to(user)
        )
        .select_related("account", "account__guarantor", "created_by")
        .prefetch_related("installments")
        .order_by("created_at")[:limit]
    )
