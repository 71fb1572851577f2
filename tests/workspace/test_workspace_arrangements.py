"""The workspace's plan builder, promises and payments (HTMX panels that also work without JavaScript)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from arrangements.models import Installment, PaymentPlan, Promise
from tests.workspace.helpers import HX, url

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 26, 18, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def reviewing(client, desk, manager):
    """A manager (who sees balances without a verification) at the $900 account's workspace."""
    account, _ = desk
    client.force_login(manager)
    return account


def terms(**kwargs):
    data = {
        "total": "900.00",
        "down_payment": "0",
        "frequency": "monthly",
        "first_due_date": "2026-12-15",
        "count": "3",
    }
    return {f"plan-{k}": v for k, v in {**data, **kwargs}.items()}


def test_the_builder_recomputes_the_schedule_and_says_if_it_is_within_policy(client, reviewing):
    r = client.post(url("plan-preview", reviewing), terms(), headers=HX)
    page = r.content.decode()
    assert "3 payments over 3 months" in page
    assert "Within policy." in page
    assert page.count("300.00") == 3
    r = client.post(url("plan-preview", reviewing), terms(count="60", frequency="weekly"), headers=HX)
    assert "Needs a manager's approval" in r.content.decode()
    assert "under the minimum" in r.content.decode()
    r = client.post(url("plan-preview", reviewing), terms(total="5000.00"), headers=HX)
    assert "cannot exceed the balance" in r.content.decode()
    assert not PaymentPlan.objects.exists()


def test_agreeing_a_plan_puts_the_account_in_arrangement(client, reviewing):
    r = client.post(url("plan-create", reviewing), terms(), headers=HX)
    assert "account-changed" in r.headers["HX-Trigger"]
    plan = PaymentPlan.objects.get()
    assert (plan.state, plan.total) == ("active", Decimal("900.00"))
    assert 'id="installments"' in r.content.decode()
    reviewing.refresh_from_db()
    assert reviewing.status == "in_arrangement"


def test_a_payment_fills_the_first_installment_and_a_resent_one_counts_once(client, reviewing):
    client.post(url("plan-create", reviewing), terms(), headers=HX)
    payment = {
        "payment-amount": "300.00",
        "payment-effective_date": "2026-11-26",
        "payment-reference": "card-991",
    }
    client.post(url("payment-create", reviewing), payment, headers=HX)
    client.post(url("payment-create", reviewing), payment, headers=HX)
    assert list(Installment.objects.values_list("state", flat=True)) == ["paid", "open", "open"]
    reviewing.refresh_from_db()
    assert reviewing.balance == Decimal("600.00")


def test_a_promise_without_javascript_redirects_back(client, reviewing):
    r = client.post(
        url("promise-create", reviewing),
        {"promise-amount": "120.00", "promise-due_date": "2026-12-05", "promise-channel": "check"},
    )
    assert r.status_code == 302
    assert Promise.objects.get().amount == Decimal("120.00")


def test_a_bad_payment_shows_the_error_and_changes_nothing(client, reviewing):
    r = client.post(
        url("payment-create", reviewing), {"payment-amount": "-5", "payment-effective_date": "x"}, headers=HX
    )
    assert "Ensure this value is greater than or equal to 0.01" in r.content.decode()
    reviewing.refresh_from_db()
    assert reviewing.balance == Decimal("900.00")


def test_a_collector_sees_no_amounts_before_verifying(client, desk):
    account, _ = desk
    page = client.get(url("account", account)).content.decode()
    assert "Shown once the right party is verified." in page
    assert 'id="plan-builder"' not in page


def test_another_teams_account_is_404_for_every_arrangement_action(client, desk, west_account):
    for name in ("plan-preview", "plan-create", "promise-create", "payment-create"):
        assert client.post(url(name, west_account), {}).status_code == 404
    assert not PaymentPlan.objects.exists()


def test_cancelling_the_plan_from_the_workspace_brings_the_builder_back(client, reviewing):
    client.post(url("plan-create", reviewing), terms(), headers=HX)
    plan = PaymentPlan.objects.get()
    r = client.post(url("plan-cancel", reviewing, plan.pk), {"reason": ""}, headers=HX)
    assert "Say why the plan is cancelled." in r.content.decode()
    r = client.post(url("plan-cancel", reviewing, plan.pk), {"reason": "settled"}, headers=HX)
    assert 'id="plan-builder"' in r.content.decode()
    plan.refresh_from_db()
    assert plan.state == "cancelled"
