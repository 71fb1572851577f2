"""Writes to patient accounts: status changes and the ledger. Each function owns its transaction and
writes its audit event inside it."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import LedgerEntry, Note, PatientAccount
from accounts.status import check_transition
from audit.services import audit_record
from collections_desk.lib.money import format_money, to_money

_SIGN_BY_KIND = {
    LedgerEntry.Kind.CHARGE: 1,
    LedgerEntry.Kind.INTEREST: 1,
    LedgerEntry.Kind.FEE: 1,
    LedgerEntry.Kind.PATIENT_PAYMENT: -1,
    LedgerEntry.Kind.INSURANCE_PAYMENT: -1,
}


class DuplicatePosting(Exception):
    """The external reference was posted before; the earlier entry is attached."""

    def __init__(self, entry: LedgerEntry) -> None:
        self.entry = entry
        super().__init__(f"Reference {entry.external_ref} was already posted on {entry.posted_at:%Y-%m-%d}.")


def ssn_hash(ssn: str) -> str:
    """Keyed hash of a full SSN, for matching without keeping the number."""
    digits = "".join(ch for ch in ssn if ch.isdigit())
    if len(digits) != 9:
        raise ValidationError("An SSN has nine digits.", code="ssn")
    return hmac.new(settings.SSN_HASH_KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def account_status_change(
    *, account: PatientAccount, to: str, actor: Any | None, reason: str = ""
) -> PatientAccount:
    """Move an account to `to` if the state machine allows it (raises IllegalTransition otherwise).

    The row is locked first so two concurrent changes are serialized and each sees the other's result.
    """
    locked = PatientAccount.objects.select_for_update().only("id", "status").get(pk=account.pk)
    check_transition(locked.status, to)
    now = timezone.now()
    PatientAccount.objects.filter(pk=account.pk).update(status=to, status_changed_at=now)
    audit_record(
        action="accounts.status.changed",
        actor=actor,
        account_id=account.pk,
        data={"from": locked.status, "to": to, "reason": reason, "summary": f"{locked.status} → {to}"},
    )
    account.status, account.status_changed_at = to, now
    return account


@dataclass(frozen=True)
class Posting:
    entry: LedgerEntry
    balance: Decimal


@transaction.atomic
def ledger_post(
    *,
    account: PatientAccount,
    kind: str,
    amount: Decimal | str,
    effective_date: date,
    actor: Any | None,
    external_ref: str | None = None,
    memo: str = "",
) -> Posting:
    """Append a ledger entry and move the cached balance in the same transaction.

    `amount` is given as a positive sum for charges, interest, fees and payments (the sign follows the
    kind) and signed for adjustments. A reused `external_ref` raises DuplicatePosting and changes
    nothing, so a re-sent payment file or a retried webhook cannot count a payment twice.
    """
    if kind == LedgerEntry.Kind.REVERSAL:
        raise ValueError("Use ledger_reverse to reverse an entry.")
    value = to_money(amount)
    if kind in _SIGN_BY_KIND:
        if value <= 0:
            raise ValidationError("Enter a positive amount.", code="amount")
        value *= _SIGN_BY_KIND[kind]
    elif value == 0:
        raise ValidationError("An adjustment cannot be zero.", code="amount")
    if external_ref:
        earlier = LedgerEntry.objects.filter(external_ref=external_ref).first()
        if earlier is not None:
            raise DuplicatePosting(earlier)
    try:
        with transaction.atomic():
            entry = LedgerEntry.objects.create(
                account=account,
                kind=kind,
                amount=value,
                effective_date=effective_date,
                posted_by=actor if getattr(actor, "is_authenticated", False) else None,
                external_ref=external_ref or None,
                memo=memo,
            )
    except IntegrityError:
        # Another transaction posted the same reference between our check and our insert.
        earlier = LedgerEntry.objects.filter(external_ref=external_ref).first()
        if earlier is None:
            raise
        raise DuplicatePosting(earlier) from None
    balance = _move_balance(account=account, delta=value)
    audit_record(
        action="accounts.ledger.posted",
        actor=actor,
        account_id=account.pk,
        data={
            "entry_id": entry.pk,
            "kind": kind,
            "amount": str(value),
            "balance": str(balance),
            "summary": f"{entry.get_kind_display()} {format_money(value)}, balance {format_money(balance)}",
        },
    )
    return Posting(entry=entry, balance=balance)


@transaction.atomic
def ledger_reverse(
    *, entry: LedgerEntry, actor: Any | None, memo: str = "", effective_date: date | None = None
) -> Posting:
    """Append the reversing entry of `entry` (a returned payment, a charge posted in error).

    An entry is reversed at most once (a unique constraint); reversing a reversal is refused.
    """
    if entry.kind == LedgerEntry.Kind.REVERSAL:
        raise ValidationError(
            "A reversal cannot itself be reversed; post a new entry instead.", code="reversal"
        )
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError("This entry has already been reversed.", code="reversed")
    reversal = LedgerEntry.objects.create(
        account_id=entry.account_id,
        kind=LedgerEntry.Kind.REVERSAL,
        amount=-entry.amount,
        effective_date=effective_date or timezone.localdate(),
        posted_by=actor if getattr(actor, "is_authenticated", False) else None,
        reverses=entry,
        memo=memo,
    )
    balance = _move_balance(account=entry.account, delta=reversal.amount)
    audit_record(
        action="accounts.ledger.reversed",
        actor=actor,
        account_id=entry.account_id,
        data={
            "entry_id": reversal.pk,
            "reverses": entry.pk,
            "amount": str(reversal.amount),
            "balance": str(balance),
        },
    )
    return Posting(entry=reversal, balance=balance)


def _move_balance(*, account: PatientAccount, delta: Decimal) -> Decimal:
    # One UPDATE … RETURNING: concurrent postings serialize on the row lock and none is lost.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_patientaccount SET balance = balance + %s WHERE id = %s RETURNING balance",
            [delta, account.pk],
        )
        (balance,) = cursor.fetchone()
    account.balance = balance
    return balance


def ledger_mismatches(*, limit: int | None = None) -> list[tuple[int, Decimal, Decimal]]:
    """Accounts whose cached balance differs from the sum of their ledger: (id, cached, ledger)."""
    sql = """
        SELECT a.id, a.balance, COALESCE(l.total, 0)
        FROM accounts_patientaccount a
        LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM accounts_ledgerentry GROUP BY account_id) l
               ON l.account_id = a.id
        WHERE a.balance <> COALESCE(l.total, 0)
        ORDER BY a.id
    """
    if limit:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


@transaction.atomic
def note_add(*, account: PatientAccount, author: Any, body: str) -> Note:
    body = body.strip()
    if not body:
        raise ValidationError("A note cannot be empty.", code="empty")
    note = Note.objects.create(account=account, author=author, body=body)
    audit_record(action="accounts.note.added", actor=author, account_id=account.pk, data={"note_id": note.pk})
    return note


def account_assign(*, account: PatientAccount, collector: Any | None, actor: Any) -> None:
    with transaction.atomic():
        PatientAccount.objects.filter(pk=account.pk).update(assigned_collector=collector)
        audit_record(
            action="accounts.account.assigned",
            actor=actor,
            account_id=account.pk,
            data={"collector_id": getattr(collector, "pk", None)},
        )


@transaction.atomic
def ledger_check_record(*, sample: int = 20) -> list[tuple[int, Decimal, Decimal]]:
    """Compare every cached balance with its ledger and record the outcome in the audit log (the count
    and the first account ids; no amounts or names), so the nightly check leaves a trace either way."""
    mismatches = ledger_mismatches()
    audit_record(
        action="accounts.ledger.checked",
        actor=None,
        data={"mismatches": len(mismatches), "account_ids": [row[0] for row in mismatches[:sample]]},
    )
    return mismatches
