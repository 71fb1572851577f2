"""Holds: recorded by the desk, given legal effect by the compliance engine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AccountStatus, PatientAccount
from accounts.services import account_status_change
from accounts.status import can_transition
from audit.services import audit_record
from collections_desk.lib.details import checked_details
from compliance.models import AccountNotice, Hold


@transaction.atomic
def hold_place(
    *,
    account: PatientAccount,
    kind: str,
    actor: Any,
    medium: str = Hold.Medium.ORAL,
    note: str = "",
    details: dict[str, Any] | None = None,
    received_on: date | None = None,
    placed_at: datetime | None = None,
) -> Hold:
    """Record a hold and pause the account (status on_hold when it is being worked). A second open hold
    of the same kind is refused with a clear message. `received_on` (a written request's receipt date)
    and `placed_at` default to now: a hold learned of earlier is recorded with its own dates."""
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
                **({"received_on": received_on} if received_on else {}),
                **({"placed_at": placed_at} if placed_at else {}),
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
def hold_release(*, hold: Hold, actor: Any, reason: str, released_at: datetime | None = None) -> Hold:
    """Close a hold (at `released_at`, default now); the account goes back to active when no other hold
    remains open. A bankruptcy hold released for "discharged" or "dismissed" tells the compliance
    engine how the case ended."""
    if not reason.strip():
        raise ValidationError("Say why the hold is released.", code="reason")
    released = Hold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=released_at or timezone.now(), released_by=actor, release_reason=reason.strip()
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


# What each kind of notice needs in `details`, and of what type (the rest is refused).
_NOTICE_DETAILS: dict[str, dict[str, type | tuple[type, ...]]] = {
    AccountNotice.Kind.ORIGINAL_CREDITOR_REQUEST: {"written": bool},
    AccountNotice.Kind.VERIFICATION_SENT: {},
    AccountNotice.Kind.FAP_APPLICATION: {"status": str, "discount": (str, type(None))},
    AccountNotice.Kind.ECA_NOTICE: {"deadline": (str, type(None)), "pls": bool},
    AccountNotice.Kind.ORAL_FAP_NOTICE: {},
    AccountNotice.Kind.CREDIT_REPORT: {},
}
FAP_STATUSES = ("incomplete", "complete", "approved", "denied")


@transaction.atomic
def notice_record(
    *,
    accounts: Sequence[PatientAccount],
    kind: str,
    actor: Any,
    occurred_at: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> AccountNotice:
    """Record a notice (see AccountNotice) on one or several accounts of one guarantor. Bad input raises
    ValidationError naming the field, and nothing is stored. Audited on every account."""
    if kind not in _NOTICE_DETAILS:
        raise ValidationError("Unknown kind of notice.", code="kind")
    if not accounts or len({a.guarantor_id for a in accounts}) != 1:
        raise ValidationError("A notice concerns one or more accounts of one guarantor.", code="accounts")
    details = checked_details(details, _NOTICE_DETAILS[kind])
    if kind == AccountNotice.Kind.FAP_APPLICATION and details.get("status") not in FAP_STATUSES:
        raise ValidationError("An application is incomplete, complete, approved or denied.", code="status")
    notice = AccountNotice.objects.create(
        kind=kind,
        details=details,
        occurred_at=occurred_at or timezone.now(),
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    notice.accounts.set(accounts)
    for account in accounts:
        audit_record(
            action="compliance.notice.recorded",
            actor=actor,
            account_id=account.pk,
            data={"notice_id": notice.pk, "kind": kind, "summary": notice.get_kind_display()},
        )
    return notice
