"""Holds: recorded by the desk, given legal effect by the compliance engine."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AccountStatus, PatientAccount
from accounts.services import account_status_change
from accounts.status import can_transition
from audit.services import audit_record
from compliance.models import Hold


@transaction.atomic
def hold_place(
    *,
    account: PatientAccount,
    kind: str,
    actor: Any,
    medium: str = Hold.Medium.ORAL,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> Hold:
    """Record a hold and pause the account (status on_hold when it is being worked). A second open hold
    of the same kind is refused with a clear message."""
    if kind not in Hold.Kind.values:
        raise ValidationError("Unknown kind of hold.", code="kind")
    try:
        with transaction.atomic():
            hold = Hold.objects.create(
                account=account,
                kind=kind,
                medium=medium,
                note=note.strip(),
                details=details or {},
                placed_by=actor,
            )
    except IntegrityError:
        raise ValidationError(
            "This account already has an open %(kind)s hold.",
            code="duplicate",
            params={"kind": Hold.Kind(kind).label.lower()},
        ) from None
    audit_record(
        action="compliance.hold.placed",
        actor=actor,
        account_id=account.pk,
        data={
            "hold_id": hold.pk,
            "kind": kind,
            "medium": medium,
            "summary": f"{hold.get_kind_display()} hold ({hold.get_medium_display().lower()})",
        },
    )
    current = PatientAccount.objects.values_list("status", flat=True).get(pk=account.pk)
    if current != AccountStatus.ON_HOLD and can_transition(current, AccountStatus.ON_HOLD):
        account_status_change(account=account, to=AccountStatus.ON_HOLD, actor=actor, reason=f"hold:{kind}")
    return hold


@transaction.atomic
def hold_release(*, hold: Hold, actor: Any, reason: str) -> Hold:
    """Close a hold; the account goes back to active when no other hold remains open."""
    if not reason.strip():
        raise ValidationError("Say why the hold is released.", code="reason")
    released = Hold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=timezone.now(), released_by=actor, release_reason=reason.strip()
    )
    if not released:
        raise ValidationError("This hold was already released.", code="released")
    hold.refresh_from_db()
    audit_record(
        action="compliance.hold.released",
        actor=actor,
        account_id=hold.account_id,
        data={"hold_id": hold.pk, "kind": hold.kind, "summary": f"{hold.get_kind_display()} hold released"},
    )
    account = hold.account
    if (
        account.status == AccountStatus.ON_HOLD
        and not account.holds.filter(released_at__isnull=True).exists()
    ):
        account_status_change(account=account, to=AccountStatus.ACTIVE, actor=actor, reason="holds released")
    return hold
