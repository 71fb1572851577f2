from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from accounts.models import LedgerEntry, PatientAccount
from accounts.services import DuplicatePosting, ledger_mismatches, ledger_post, ledger_reverse
from audit.models import AuditEvent
from tests.factories import PatientAccountFactory

DAY = dt.date(2026, 10, 1)


def post(account, kind, amount, **kwargs):
    return ledger_post(account=account, kind=kind, amount=amount, effective_date=DAY, actor=None, **kwargs)


def ledger_sum(account) -> Decimal:
    return sum((e.amount for e in LedgerEntry.objects.filter(account=account)), Decimal("0.00"))


@pytest.mark.django_db
def test_balance_is_the_sum_of_the_ledger_after_every_kind_of_entry(account):
    post(account, "charge", "1250.00")
    post(account, "insurance_payment", "800.00")
    post(account, "adjustment", "-50.25")
    post(account, "fee", "25.00")
    payment = post(account, "patient_payment", "100.00", external_ref="PAY-1").entry
    ledger_reverse(entry=payment, actor=None, memo="returned check")

    account.refresh_from_db()
    assert account.balance == Decimal("424.75")
    assert account.balance == ledger_sum(account)
    assert ledger_mismatches() == []


@pytest.mark.django_db
def test_payments_are_stored_negative_whatever_sign_the_user_typed(account):
    entry = post(account, "patient_payment", "40").entry
    assert entry.amount == Decimal("-40.00")
    with pytest.raises(ValidationError, match="positive amount"):
        post(account, "patient_payment", "-40")


@pytest.mark.django_db
def test_float_amounts_are_refused(account):
    with pytest.raises(TypeError, match="float"):
        post(account, "charge", 10.1)
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_a_reposted_payment_reference_counts_once_and_changes_nothing(account):
    post(account, "charge", "300.00")
    post(account, "patient_payment", "100.00", external_ref="ACH-778")
    with pytest.raises(DuplicatePosting, match="ACH-778"):
        post(account, "patient_payment", "100.00", external_ref="ACH-778")
    account.refresh_from_db()
    assert account.balance == Decimal("200.00")
    assert LedgerEntry.objects.count() == 2


@pytest.mark.django_db
def test_an_entry_is_reversed_at_most_once_and_reversals_are_not_reversed(account):
    charge = post(account, "charge", "90.00").entry
    reversal = ledger_reverse(entry=charge, actor=None).entry
    assert reversal.amount == Decimal("-90.00")
    with pytest.raises(ValidationError, match="already been reversed"):
        ledger_reverse(entry=charge, actor=None)
    with pytest.raises(ValidationError, match="cannot itself be reversed"):
        ledger_reverse(entry=reversal, actor=None)
    account.refresh_from_db()
    assert account.balance == Decimal("0.00")


@pytest.mark.django_db
def test_ledger_rows_cannot_be_updated_or_deleted_even_with_raw_sql(account):
    entry = post(account, "charge", "10.00").entry
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM accounts_ledgerentry WHERE id = %s", [entry.pk])
    entry.refresh_from_db()
    assert entry.amount == Decimal("10.00")


@pytest.mark.django_db
def test_the_database_refuses_an_entry_whose_sign_contradicts_its_kind(account):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            account=account, kind="charge", amount=Decimal("-5.00"), effective_date=DAY
        )


@pytest.mark.django_db
def test_every_posting_is_audited_in_the_same_transaction(account):
    post(account, "charge", "75.00")
    event = AuditEvent.objects.get(action="accounts.ledger.posted")
    assert event.account_id == account.pk
    assert event.data["balance"] == "75.00"


@pytest.mark.django_db
def test_ledger_mismatches_finds_a_tampered_cached_balance(account):
    post(account, "charge", "75.00")
    PatientAccount.objects.filter(pk=account.pk).update(balance=Decimal("70.00"))
    assert ledger_mismatches() == [(account.pk, Decimal("70.00"), Decimal("75.00"))]


@pytest.mark.django_db(transaction=True)
def test_concurrent_postings_from_separate_connections_lose_nothing(east):
    account = PatientAccountFactory(team=east)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                post(PatientAccount.objects.get(pk=account.pk), "charge", "1.00", external_ref=f"T{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    account.refresh_from_db()
    assert account.balance == Decimal("40.00") == ledger_sum(account)
