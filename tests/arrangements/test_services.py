"""Plans, promises and payments through the services: the ledger, the installments and the account status
move together, and a returned payment undoes exactly what it did."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import Http404

from accounts.services import ledger_post
from arrangements.models import Installment, PaymentPlan, PlanPolicy, Promise, Send
from arrangements.services import (
    payment_post,
    payment_reverse,
    plan_create,
    plan_decide,
    plan_evaluate,
    promise_record,
)
from audit.models import AuditEvent
from tests.factories import PatientAccountFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def owed(east):
    account = PatientAccountFactory(team=east, status="active")
    ledger_post(
        account=account, kind="charge", amount="900.00", effective_date=dt.date(2026, 3, 2), actor=None
    )
    account.refresh_from_db()
    return account


def monthly(account, actor, **terms):
    args = {
        "total": "900.00",
        "frequency": "monthly",
        "first_due_date": dt.date(2026, 12, 26),
        "count": 3,
        **terms,
    }
    return plan_create(account=account, actor=actor, today=TODAY, **args)


def assert_sums_to_total(plan):
    assert plan.installments.aggregate(s=Sum("amount"))["s"] == plan.total


def test_a_plan_within_policy_is_active_and_the_account_in_arrangement(owed, collector):
    plan = monthly(owed, collector)
    assert plan.state == "active"
    assert [i.amount for i in plan.installments.all()] == [Decimal("300.00")] * 3
    assert_sums_to_total(plan)
    owed.refresh_from_db()
    assert owed.status == "in_arrangement"
    assert AuditEvent.objects.filter(action="arrangements.plan.created", account_id=owed.pk).exists()


def test_a_plan_outside_policy_waits_for_a_manager_who_approves_or_denies(
    owed, collector, manager, west_manager
):
    PlanPolicy.objects.create(client=owed.client, min_installment=Decimal("50.00"))
    plan = monthly(owed, collector, count=30)  # $30 a month: under the minimum
    assert plan.state == "pending_approval"
    assert plan.outside_policy == ["installments of 30.00 are under the minimum of 50.00"]
    assert_sums_to_total(plan)
    owed.refresh_from_db()
    assert owed.status == "active"
    with pytest.raises(PermissionDenied):
        plan_decide(plan_id=plan.pk, actor=collector, approve=True)
    with pytest.raises(Http404):
        plan_decide(plan_id=plan.pk, actor=west_manager, approve=True)
    with pytest.raises(ValidationError, match="Say why"):
        plan_decide(plan_id=plan.pk, actor=manager, approve=False, reason=" ")
    plan = plan_decide(plan_id=plan.pk, actor=manager, approve=True)
    assert plan.state == "active"
    owed.refresh_from_db()
    assert owed.status == "in_arrangement"


def test_one_plan_in_force_per_account(owed, collector):
    monthly(owed, collector)
    with pytest.raises(ValidationError, match="already has a plan"):
        monthly(owed, collector)
    assert PaymentPlan.objects.count() == 1


def test_payments_fill_installments_in_order_and_complete_the_plan(owed, collector):
    plan = monthly(owed, collector)
    payment_post(account=owed, amount="450.00", effective_date=TODAY, actor=collector, external_ref="p-1")
    states = list(plan.installments.values_list("state", "paid"))
    assert states == [("paid", Decimal("300.00")), ("open", Decimal("150.00")), ("open", Decimal("0.00"))]
    payment_post(account=owed, amount="450.00", effective_date=TODAY, actor=collector, external_ref="p-2")
    plan.refresh_from_db()
    owed.refresh_from_db()
    assert plan.state == "completed"
    assert (owed.status, owed.balance) == ("active", Decimal("0.00"))


def test_a_payment_sent_twice_counts_once(owed, collector):
    plan = monthly(owed, collector)
    first = payment_post(
        account=owed, amount="300.00", effective_date=TODAY, actor=collector, external_ref="ach-77"
    )
    again = payment_post(
        account=owed, amount="300.00", effective_date=TODAY, actor=collector, external_ref="ach-77"
    )
    assert again.pk == first.pk
    assert list(plan.installments.values_list("paid", flat=True)) == [Decimal("300.00"), 0, 0]
    owed.refresh_from_db()
    assert owed.balance == Decimal("600.00")


def test_a_returned_payment_reopens_what_it_paid(owed, collector):
    plan = monthly(owed, collector)
    payment_post(account=owed, amount="300.00", effective_date=TODAY, actor=collector, external_ref="a")
    returned = payment_post(
        account=owed, amount="600.00", effective_date=TODAY, actor=collector, external_ref="b"
    )
    plan.refresh_from_db()
    assert plan.state == "completed"
    payment_reverse(entry=returned, actor=collector, memo="NSF")
    plan.refresh_from_db()
    owed.refresh_from_db()
    assert plan.state == "active"
    assert list(plan.installments.values_list("state", "paid")) == [
        ("paid", Decimal("300.00")),
        ("open", Decimal("0.00")),
        ("open", Decimal("0.00")),
    ]
    assert (owed.status, owed.balance) == ("in_arrangement", Decimal("600.00"))


def test_a_missed_installment_makes_the_plan_late_then_broken(owed, collector):
    plan = monthly(owed, collector)  # first due 12-26, grace 5 days, broken after 1 missed
    assert plan_evaluate(plan_id=plan.pk, today=dt.date(2026, 12, 26)).state == "active"
    assert plan_evaluate(plan_id=plan.pk, today=dt.date(2026, 12, 28)).state == "late"
    plan = plan_evaluate(plan_id=plan.pk, today=dt.date(2027, 1, 1))
    assert plan.state == "broken"
    assert plan.broken_reason == "installment 1 of $300.00 due 2026-12-26 missed"
    assert plan_evaluate(plan_id=plan.pk, today=dt.date(2027, 1, 2)).state == "broken"  # run twice: no change
    owed.refresh_from_db()
    assert owed.status == "active"
    assert Installment.objects.filter(plan=plan, state="missed").count() == 1


def test_a_late_plan_paid_within_grace_is_active_again(owed, collector):
    plan = monthly(owed, collector)
    assert plan_evaluate(plan_id=plan.pk, today=dt.date(2026, 12, 28)).state == "late"
    payment_post(account=owed, amount="300.00", effective_date=dt.date(2026, 12, 28), actor=collector)
    assert plan_evaluate(plan_id=plan.pk, today=dt.date(2026, 12, 29)).state == "active"


def test_a_promise_is_kept_when_the_payments_reach_it(owed, collector):
    promise = promise_record(
        account=owed, actor=collector, amount="200.00", due_date=dt.date(2026, 12, 1), channel="card"
    )
    payment_post(account=owed, amount="150.00", effective_date=TODAY, actor=collector)
    promise.refresh_from_db()
    assert promise.state == "pending"
    payment_post(account=owed, amount="50.00", effective_date=TODAY, actor=collector)
    promise.refresh_from_db()
    assert promise.state == "kept"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": "0"}, "positive"),
        ({"due_date": dt.date(2026, 11, 1)}, "past"),
        ({"channel": " "}, "how the payment"),
    ],
)
def test_a_bad_promise_is_refused(owed, collector, kwargs, message):
    args = {"amount": "100.00", "due_date": dt.date(2026, 12, 1), "channel": "check", **kwargs}
    with pytest.raises(ValidationError, match=message):
        promise_record(account=owed, actor=collector, **args)
    assert not Promise.objects.exists()


def test_bad_plan_terms_are_refused_and_nothing_is_stored(owed, collector):
    with pytest.raises(ValidationError, match="exceed the balance"):
        monthly(owed, collector, total="5000.00")
    with pytest.raises(TypeError):
        monthly(owed, collector, total=900.0)
    assert not PaymentPlan.objects.exists()
    assert not Installment.objects.exists()


def test_the_approvals_page_lists_and_decides_plans_outside_policy(
    client, owed, collector, manager, west_manager
):
    from django.urls import reverse

    PlanPolicy.objects.create(client=owed.client, min_installment=Decimal("500.00"))
    plan = monthly(owed, collector)
    client.force_login(collector)
    assert client.get(reverse("desk:approvals")).status_code == 404
    client.force_login(west_manager)
    assert owed.client_account_number not in client.get(reverse("desk:approvals")).content.decode()
    assert client.post(reverse("desk:approvals"), {"plan": plan.pk, "decision": "approve"}).status_code == 404
    client.force_login(manager)
    page = client.get(reverse("desk:approvals")).content.decode()
    assert owed.client_account_number in page
    assert "under the minimum of 500.00" in page
    client.post(reverse("desk:approvals"), {"plan": plan.pk, "decision": "deny", "reason": ""})
    plan.refresh_from_db()
    assert plan.state == "pending_approval"  # a denial needs its reason
    client.post(
        reverse("desk:approvals"),
        {"plan": plan.pk, "decision": "deny", "reason": "too long for this balance"},
    )
    plan.refresh_from_db()
    assert (plan.state, plan.decision_reason, plan.decided_by) == (
        "denied",
        "too long for this balance",
        manager,
    )
    assert AuditEvent.objects.filter(action="arrangements.plan.denied", account_id=owed.pk).exists()


def test_a_cancelled_plan_stops_its_installments_and_leaves_the_arrangement(
    owed, collector, other_team_collector
):
    from arrangements.sends import sends_create_due
    from arrangements.services import plan_cancel

    plan = monthly(owed, collector)
    payment_post(account=owed, amount="300.00", effective_date=TODAY, actor=collector)
    with pytest.raises(ValidationError, match="Say why"):
        plan_cancel(plan_id=plan.pk, actor=collector, reason=" ")
    with pytest.raises(Http404):
        plan_cancel(plan_id=plan.pk, actor=other_team_collector, reason="asked")
    plan = plan_cancel(plan_id=plan.pk, actor=collector, reason="settled by the insurer")
    assert plan.state == "cancelled"
    assert list(plan.installments.values_list("state", flat=True)) == ["paid", "cancelled", "cancelled"]
    owed.refresh_from_db()
    assert (owed.status, owed.balance) == ("active", Decimal("600.00"))  # the payment stays on the ledger
    sends_create_due(today=dt.date(2027, 1, 24))  # the second installment would fall due on 01-26
    assert not Send.objects.filter(kind="reminder").exists()  # no reminder for a cancelled installment
    with pytest.raises(ValidationError, match="Only a plan in force"):
        plan_cancel(plan_id=plan.pk, actor=collector, reason="again")
