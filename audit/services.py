from __future__ import annotations

from typing import Any

from django.db import transaction

from audit.context import current_ip
from audit.models import AuditEvent


def audit_record(
    *,
    action: str,
    actor: Any | None,
    account_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event inside the caller's transaction (so it commits or rolls back with the change).

    `data` must hold identifiers and codes, not free text copied from patient records. The client address
    comes from the request being served, if any.
    """
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        account_id=account_id,
        data=data or {},
        ip=current_ip.get(),
    )


def audit_record_view(*, actor: Any, action: str, account_ids: list[int], data: dict[str, Any] | None = None):
    """A page showed patient data: one event per account shown (a list page writes them in one INSERT)."""
    ip = current_ip.get()
    with transaction.atomic():
        return AuditEvent.objects.bulk_create(
            [
                AuditEvent(action=action, actor=actor, account_id=account_id, data=data or {}, ip=ip)
                for account_id in account_ids
            ]
        )
